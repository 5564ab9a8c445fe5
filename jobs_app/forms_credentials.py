from __future__ import annotations

from typing import Any

from django import forms

from ftportal.models import Project
from jobs_app.models import ProviderCredential


class CredentialForm(forms.Form):
    name = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=ProviderCredential.Kind.choices)
    secret = forms.CharField(
        label="API key",
        widget=forms.PasswordInput(render_value=False),
        help_text="Stored encrypted; only its last four characters are ever shown again.",
    )
    base_url = forms.CharField(
        required=False,
        max_length=500,
        label="Base URL or Azure endpoint",
        help_text="Empty for OpenAI itself.",
    )
    organization = forms.CharField(required=False, max_length=200)
    openai_project = forms.CharField(required=False, max_length=200, label="OpenAI project")
    api_version = forms.CharField(required=False, max_length=40, label="Azure API version")

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["secret"], self.fields["kind"]

    def clean_base_url(self) -> str:
        url = self.cleaned_data["base_url"].strip()
        if url and not url.startswith(("http://", "https://")):
            raise forms.ValidationError("Enter a URL starting with https:// (or http://).")
        return url

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        kind = data.get("kind")
        if kind in (
            ProviderCredential.Kind.AZURE,
            ProviderCredential.Kind.COMPATIBLE,
        ) and not data.get("base_url"):
            self.add_error("base_url", "This kind of provider needs its URL.")
        if kind == ProviderCredential.Kind.AZURE and not data.get("api_version"):
            self.add_error("api_version", "Azure OpenAI needs an API version.")
        return data


class RotateForm(forms.Form):
    secret = forms.CharField(label="New API key", widget=forms.PasswordInput(render_value=False))


class ProjectCredentialForm(forms.Form):
    project = forms.ModelChoiceField(queryset=Project.objects.order_by("name"))
