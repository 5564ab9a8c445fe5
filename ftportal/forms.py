from __future__ import annotations

from django import forms
from django.contrib.auth.models import User

from ftportal.models import Project
from ftportal.use_cases import UseCaseKey


class ProjectForm(forms.Form):
    name = forms.CharField(max_length=200)
    slug = forms.SlugField(
        max_length=80, help_text="Short name used in links, for example customer-support."
    )
    use_case = forms.ChoiceField(choices=UseCaseKey.choices)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    default_system_prompt = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text="Leave empty to use the use case's default.",
    )
    members = forms.ModelMultipleChoiceField(
        queryset=User.objects.filter(is_active=True).order_by("username"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: object, instance: Project | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.instance = instance
        if instance is not None:
            self.fields["slug"].disabled = True

    def clean_slug(self) -> str:
        slug: str = self.cleaned_data["slug"]
        clash = Project.objects.filter(slug=slug)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError("Another project already uses this short name.")
        return slug
