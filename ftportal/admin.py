from __future__ import annotations

from django.contrib import admin

from ftportal.models import ModelPrice, Organization, Project


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


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ("name", "time_zone")


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "use_case")
    filter_horizontal = ("members",)
    search_fields = ("name", "slug")
