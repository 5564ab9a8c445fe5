from __future__ import annotations

import uuid
from typing import Any

from django import forms

from datasets_app.models import DatasetVersion
from jobs_app.models import Job
from jobs_app.providers.base import ProviderModel


def _auto_or(kind: type, low: float, high: float | None, label: str, *, open_low: bool = False):  # noqa: ANN202
    """A text field taking "auto" or a number in range; cleans to "auto" or the number."""

    def clean(value: str) -> Any:
        value = (value or "").strip().lower()
        if value in ("", "auto"):
            return "auto"
        try:
            number = kind(value)
        except ValueError:
            raise forms.ValidationError(f"{label} must be auto or a number.") from None
        too_low = number <= low if open_low else number < low
        if too_low or (high is not None and number > high):
            bounds = f"above {low}" if open_low else f"at least {low}"
            if high is not None:
                bounds += f" and at most {high}"
            raise forms.ValidationError(f"{label} must be auto or {bounds}.")
        return number

    return clean


class JobForm(forms.Form):
    dataset_version = forms.ModelChoiceField(queryset=DatasetVersion.objects.none())
    base_model = forms.ChoiceField()
    method = forms.ChoiceField(choices=Job.Method.choices, initial=Job.Method.SUPERVISED)
    n_epochs = forms.CharField(initial="auto", label="Epochs (1–50 or auto)")
    batch_size = forms.CharField(initial="auto", label="Batch size (1–256 or auto)")
    learning_rate_multiplier = forms.CharField(initial="auto", label="Learning rate multiplier")
    beta = forms.CharField(initial="auto", label="Beta (DPO, up to 2)", required=False)
    suffix = forms.CharField(
        max_length=64, required=False, help_text="Up to 64 characters, shown in the model's name."
    )
    seed = forms.IntegerField(required=False, min_value=0)
    submit_token = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, project: Any, models: list[ProviderModel], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["dataset_version"].queryset = (
            DatasetVersion.objects.filter(dataset__project=project)
            .select_related("dataset")
            .order_by("-created_at")
        )
        self.fields["dataset_version"].label_from_instance = lambda v: (
            f"{v.dataset.name} v{v.number} ({v.get_kind_display()}, "
            f"{v.train_count} training examples)"
        )
        self.fields["base_model"].choices = [
            (m.id, m.id + (f" (shuts down {m.shutdown_date})" if m.shutdown_date else ""))
            for m in models
            if m.fine_tunable
        ]
        self.fields["submit_token"].initial = uuid.uuid4().hex

    def clean_n_epochs(self) -> Any:
        return _auto_or(int, 1, 50, "Epochs")(self.cleaned_data["n_epochs"])

    def clean_batch_size(self) -> Any:
        return _auto_or(int, 1, 256, "Batch size")(self.cleaned_data["batch_size"])

    def clean_learning_rate_multiplier(self) -> Any:
        value = self.cleaned_data["learning_rate_multiplier"]
        return _auto_or(float, 0, None, "Learning rate multiplier", open_low=True)(value)

    def clean_beta(self) -> Any:
        return _auto_or(float, 0, 2, "Beta", open_low=True)(self.cleaned_data.get("beta"))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        version = data.get("dataset_version")
        if version and data.get("method") == Job.Method.DPO:
            if version.kind != DatasetVersion.Kind.PREFERENCE:
                self.add_error("method", "DPO needs a preference dataset version.")
        elif version and version.kind == DatasetVersion.Kind.PREFERENCE:
            self.add_error("method", "This version holds preference data: choose DPO.")
        return data

    def service_kwargs(self) -> dict[str, Any]:
        d = self.cleaned_data
        hp = {k: d[k] for k in ("n_epochs", "batch_size", "learning_rate_multiplier")}
        if d["method"] == Job.Method.DPO:
            hp["beta"] = d["beta"]
        return {
            "dataset_version": d["dataset_version"],
            "base_model": d["base_model"],
            "method": d["method"],
            "hyperparameters": hp,
            "suffix": d["suffix"],
            "seed": d["seed"],
            "submit_token": d["submit_token"],
        }
