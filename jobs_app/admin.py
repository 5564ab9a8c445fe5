from __future__ import annotations

from django.contrib import admin

from jobs_app.models import Job, ProviderCredential


@admin.register(ProviderCredential)
class ProviderCredentialAdmin(admin.ModelAdmin):
    # The encrypted secret is never shown or edited here: use the credential pages.
    list_display = ("name", "kind", "base_url", "secret_last4", "updated_at")
    fields = (
        "name",
        "kind",
        "base_url",
        "organization",
        "openai_project",
        "api_version",
        "secret_last4",
    )
    readonly_fields = ("kind", "secret_last4")

    def has_add_permission(self, request) -> bool:  # noqa: ANN001
        return False


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ("id", "project", "base_model", "status", "provider_status", "created_at")
    list_filter = ("status",)
    search_fields = ("openai_job_id", "fine_tuned_model")

    def has_change_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return False

    def has_add_permission(self, request) -> bool:  # noqa: ANN001
        return False
