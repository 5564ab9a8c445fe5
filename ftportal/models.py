from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse

from ftportal.lib.models import TimestampedModel
from ftportal.use_cases import UseCaseKey, use_case_for


def _validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a known time zone (for example Europe/Berlin).")


class Organization(TimestampedModel):
    """The one organisation an installation serves; holds organisation-wide settings."""

    name = models.CharField(max_length=200)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[_validate_time_zone])
    monthly_cap_usd = models.DecimalField(
        "organisation monthly cap (USD)", max_digits=12, decimal_places=2, null=True, blank=True
    )

    def __str__(self) -> str:
        return self.name

    @classmethod
    def get_solo(cls) -> Organization:
        org = cls.objects.order_by("id").first()
        if org is None:
            org = cls.objects.create(name="My organisation")
        return org


class Project(TimestampedModel):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    use_case = models.CharField(max_length=32, choices=UseCaseKey.choices)
    description = models.TextField(blank=True)
    default_system_prompt = models.TextField(blank=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="projects", blank=True)

    class Meta:
        ordering = ["name"]
        permissions = [
            ("manage_datasets", "Upload and manage datasets in member projects"),
            ("manage_jobs", "Create, submit and cancel jobs and run evaluations"),
            ("view_dashboard", "See job dashboards"),
            ("manage_projects", "Create and edit projects and their members"),
            ("manage_providers", "Manage provider credentials"),
            ("manage_budgets", "Manage prices, budgets and cost limits"),
            ("manage_users", "Manage users and roles"),
            ("view_audit", "Read the audit trail"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("ftportal:project-detail", args=[self.slug])

    @property
    def use_case_spec(self):  # noqa: ANN201 - a UseCase
        return use_case_for(self.use_case)

    @property
    def system_prompt(self) -> str:
        return self.default_system_prompt or self.use_case_spec.default_system_prompt


class ModelPrice(TimestampedModel):
    """Price and limits of one base model, edited by admins; drives estimates and budgets."""

    provider_kind = models.CharField(max_length=32, default="openai")
    model = models.CharField(max_length=200)
    training_per_1m = models.DecimalField(
        "training USD per 1M tokens", max_digits=10, decimal_places=4, null=True, blank=True
    )
    input_per_1m = models.DecimalField(
        "inference input USD per 1M tokens", max_digits=10, decimal_places=4, null=True, blank=True
    )
    output_per_1m = models.DecimalField(
        "inference output USD per 1M tokens", max_digits=10, decimal_places=4, null=True, blank=True
    )
    max_example_tokens = models.PositiveIntegerField(
        null=True, blank=True, help_text="Per-example training limit in tokens."
    )
    encoding = models.CharField(max_length=32, default="o200k_base")
    checked_on = models.DateField(null=True, blank=True)
    source_note = models.CharField(max_length=300, blank=True)
    confirmed = models.BooleanField(
        default=False, help_text="False when the figure could not be checked against a source."
    )

    class Meta:
        ordering = ["provider_kind", "model"]
        constraints = [
            models.UniqueConstraint(fields=["provider_kind", "model"], name="unique_model_price")
        ]

    def __str__(self) -> str:
        return f"{self.model} ({self.provider_kind})"


class AuditEntry(models.Model):
    """Who did what, when, from where. Written by services; never edited or deleted."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=64, db_index=True)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_label = models.CharField(max_length=300, blank=True)
    project = models.ForeignKey(
        Project, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]


class UserSettings(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="portal_settings"
    )
    email_notifications = models.BooleanField(default=True)

    @classmethod
    def wants_email(cls, user) -> bool:  # noqa: ANN001
        row = cls.objects.filter(user=user).first()
        return row.email_notifications if row else True
