from __future__ import annotations

from django.contrib import admin

from ftportal.audit import audit_log
from ftportal.models import AuditEntry, ModelPrice, Organization, Project


@admin.register(ModelPrice)
class ModelPriceAdmin(admin.ModelAdmin):
    list_display = (
        "model",
        "provider_kind",
        "training_per_1m",
        "input_per_1m",
        "output_per_1m",
        "max_example_tokens",
        "confirmed",
        "checked_on",
    )
    list_filter = ("provider_kind", "confirmed")
    search_fields = ("model",)

    def save_model(self, request, obj, form, change) -> None:  # noqa: ANN001
        super().save_model(request, obj, form, change)
        audit_log(
            action="price_changed",
            target=obj,
            request=request,
            data={f: str(form.cleaned_data.get(f)) for f in form.changed_data},
        )


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ("name", "time_zone")


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "use_case")
    filter_horizontal = ("members",)
    search_fields = ("name", "slug")


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: the trail cannot be edited or deleted through the app."""

    list_display = ("created_at", "actor_label", "action", "target_label", "ip")
    list_filter = ("action",)

    def has_add_permission(self, request) -> bool:  # noqa: ANN001
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return False

    def has_delete_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return False
