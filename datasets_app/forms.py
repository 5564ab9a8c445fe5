from __future__ import annotations

from typing import Any

from django import forms

from datasets_app.pipeline import Mapping, SniffResult
from ftportal.models import ModelPrice

ENCODINGS = [
    ("", "Detected automatically"),
    ("utf-8", "UTF-8"),
    ("utf-8-sig", "UTF-8 with byte-order mark"),
    ("utf-16-le", "UTF-16 little-endian"),
    ("utf-16-be", "UTF-16 big-endian"),
    ("cp1252", "Windows-1252 (Western Europe)"),
    ("latin-1", "Latin-1 (ISO-8859-1)"),
]
DELIMITERS = [("", "Detected automatically"), (",", "Comma"), (";", "Semicolon"),
              ("\t", "Tab"), ("|", "Pipe")]  # fmt: skip
PII_MODES = [
    ("flag", "Flag them in the problems list"),
    ("redact", "Replace them with placeholders like [EMAIL]"),
    ("drop", "Drop the rows that contain them"),
]
DEFAULT_MODEL = "gpt-4o-mini-2024-07-18"


class UploadForm(forms.Form):
    name = forms.CharField(max_length=200, required=False, help_text="For example “Support FAQ”.")
    file = forms.FileField(
        help_text="A spreadsheet (.xlsx, .ods), a CSV or TSV file, or JSONL training data.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.tsv,.txt,.xlsx,.xlsm,.ods,"
                                                         ".jsonl,.json"}),
    )  # fmt: skip

    def __init__(self, *args: Any, new_dataset: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if new_dataset:
            self.fields["name"].required = True
        else:
            del self.fields["name"]


def _model_choices() -> list[tuple[str, str]]:
    models = list(ModelPrice.objects.order_by("model").values_list("model", flat=True).distinct())
    if DEFAULT_MODEL not in models:
        models.insert(0, DEFAULT_MODEL)
    return [(m, m) for m in models]


class MappingForm(forms.Form):
    """Which columns become what, and how to clean; fields follow the detected file."""

    sheet = forms.ChoiceField(required=False)
    encoding = forms.ChoiceField(choices=ENCODINGS, required=False)
    delimiter = forms.ChoiceField(choices=DELIMITERS, required=False)
    prompt = forms.ChoiceField(label="Prompt (what the user asks)", required=False)
    response = forms.ChoiceField(label="Response (what the assistant answers)", required=False)
    system = forms.ChoiceField(label="System prompt column", required=False,
                               help_text="Empty: the project prompt.")  # fmt: skip
    context = forms.MultipleChoiceField(
        label="Context columns", required=False, widget=forms.CheckboxSelectMultiple,
        help_text="Added to the user message under their column names (e.g. a contract clause).",
    )  # fmt: skip
    category = forms.ChoiceField(label="Category column", required=False,
                                 help_text="Balances the split.")  # fmt: skip
    preferred = forms.ChoiceField(label="Preferred answer (preference data)", required=False)
    rejected = forms.ChoiceField(label="Rejected answer (preference data)", required=False)
    conversation_id = forms.ChoiceField(label="Conversation id (multi-turn)", required=False)
    role = forms.ChoiceField(label="Speaker / role column (multi-turn)", required=False)
    trim = forms.BooleanField(initial=True, required=False, label="Trim and collapse spaces")
    nfc = forms.BooleanField(initial=True, required=False, label="Normalise Unicode (NFC)")
    drop_empty = forms.BooleanField(initial=True, required=False, label="Drop empty rows")
    strip_html = forms.BooleanField(initial=False, required=False, label="Strip HTML tags")
    dedupe = forms.BooleanField(initial=True, required=False, label="Remove exact duplicates")
    pii_mode = forms.ChoiceField(
        choices=PII_MODES, initial="flag", label="Personal data (emails, phones, cards, IBANs)"
    )
    model = forms.ChoiceField(label="Base model (for token limits and cost)")
    validation_percent = forms.IntegerField(min_value=0, max_value=50, initial=10,
                                            label="Validation share (%)")  # fmt: skip
    seed = forms.IntegerField(initial=42, help_text="The same seed gives the same split.")

    def __init__(self, *args: Any, sniffed: SniffResult, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sniffed = sniffed
        columns = [("", "—")] + [(h, h) for h in sniffed.headers]
        for name in ("prompt", "response", "system", "category", "preferred", "rejected",
                     "conversation_id", "role"):  # fmt: skip
            self.fields[name].choices = columns
        self.fields["context"].choices = columns[1:]
        self.fields["model"].choices = _model_choices()
        self.fields["model"].initial = DEFAULT_MODEL
        if sniffed.format in ("xlsx", "ods"):
            self.fields["sheet"].choices = [(s, s) for s in sniffed.sheets]
        else:
            del self.fields["sheet"]
        if sniffed.format != "csv":
            del self.fields["encoding"], self.fields["delimiter"]
        if sniffed.format == "jsonl":
            for name in ("prompt", "response", "system", "context", "category", "preferred",
                         "rejected", "conversation_id", "role"):  # fmt: skip
                del self.fields[name]

    @property
    def is_tabular(self) -> bool:
        return "prompt" in self.fields

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.is_tabular and not self.errors:
            multi = data.get("conversation_id") and data.get("role")
            if not data.get("prompt") and not multi:
                self.add_error("prompt", "Choose the column that holds the questions or prompts.")
            preference = data.get("preferred") or data.get("rejected")
            if preference and not (data.get("preferred") and data.get("rejected")):
                self.add_error("rejected", "Preference data needs both a preferred and a rejected "
                                           "answer column.")  # fmt: skip
            if not preference and not multi and not data.get("response"):
                self.add_error("response", "Choose the column that holds the answers.")
            used = [data.get(k) for k in ("prompt", "response", "system", "category",
                                          "preferred", "rejected") if data.get(k)]  # fmt: skip
            if len(used) != len(set(used)):
                raise forms.ValidationError("Each column can have only one role.")
        return data

    def mapping(self) -> Mapping | None:
        if not self.is_tabular:
            return None
        d = self.cleaned_data
        return Mapping(prompt=d["prompt"], response=d["response"], system=d["system"],
                       context=list(d["context"]), category=d["category"],
                       preferred=d["preferred"], rejected=d["rejected"],
                       conversation_id=d["conversation_id"], role=d["role"])  # fmt: skip

    def options(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {
            "trim": d["trim"], "nfc": d["nfc"], "drop_empty": d["drop_empty"],
            "strip_html": d["strip_html"], "dedupe": d["dedupe"], "pii_mode": d["pii_mode"],
            "model": d["model"], "validation_fraction": d["validation_percent"] / 100,
            "seed": d["seed"],
        }  # fmt: skip

    def reader_choices(self) -> dict[str, str | None]:
        d = self.cleaned_data
        return {
            "sheet": d.get("sheet") or None,
            "encoding": d.get("encoding") or None,
            "delimiter": d.get("delimiter") or None,
        }


class RerunForm(forms.Form):
    """Per problem kind: drop those rows, or stop and fix the file."""

    drop_codes = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, codes: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["drop_codes"].choices = [(c, c) for c in codes]
