from __future__ import annotations

from django.contrib import admin

from datasets_app.models import Dataset, DatasetVersion


@admin.register(Dataset)
class DatasetAdmin(admin.ModelAdmin):
    list_display = ("name", "project", "created_at")
    search_fields = ("name",)


@admin.register(DatasetVersion)
class DatasetVersionAdmin(admin.ModelAdmin):
    # Versions are immutable: readable here, never edited.
    list_display = ("dataset", "number", "kind", "train_count", "validation_count", "created_at")

    def has_change_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return False

    def has_add_permission(self, request) -> bool:  # noqa: ANN001
        return False
