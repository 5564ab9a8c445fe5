"""Create the three role groups with their permissions, and seed the price table."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLE_PERMISSIONS = {
    "Domain expert": ["manage_datasets"],
    "Team lead": ["manage_datasets", "manage_jobs", "view_dashboard", "manage_projects"],
    "Admin": [
        "manage_datasets",
        "manage_jobs",
        "view_dashboard",
        "manage_projects",
        "manage_providers",
        "manage_budgets",
        "manage_users",
        "view_audit",
    ],
}

CHECKED = datetime.date(2026, 11, 24)
# (model, training, input, output per 1M tokens, per-example token limit, encoding, confirmed, note)
PRICES = [
    ("gpt-4o-mini-2024-07-18", "3.00", "0.30", "1.20", 65536, "o200k_base", True,
     "OpenAI pricing page, fine-tuning: training $3.00 / 1M tokens"),
    ("gpt-4o-2024-08-06", "25.00", "3.75", "15.00", 65536, "o200k_base", False,
     "OpenAI pricing page as last known; not re-checked (no network when seeded)"),
    ("gpt-4.1-2025-04-14", "25.00", "3.00", "12.00", 65536, "o200k_base", False,
     "OpenAI pricing page as last known; not re-checked (no network when seeded)"),
    ("gpt-4.1-mini-2025-04-14", "5.00", "0.80", "3.20", 65536, "o200k_base", False,
     "OpenAI pricing page as last known; not re-checked (no network when seeded)"),
    ("gpt-4.1-nano-2025-04-14", "1.50", "0.20", "0.80", 65536, "o200k_base", False,
     "OpenAI pricing page as last known; not re-checked (no network when seeded)"),
    ("gpt-3.5-turbo-0125", "8.00", "3.00", "6.00", 16385, "cl100k_base", False,
     "OpenAI pricing page as last known; not re-checked (no network when seeded)"),
]  # fmt: skip


def forwards(apps, schema_editor):
    # Permissions are normally created after all migrations (post_migrate);
    # the groups need them now.
    from django.apps import apps as global_apps

    create_permissions(global_apps.get_app_config("ftportal"), apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        perms = Permission.objects.filter(
            content_type__app_label="ftportal", codename__in=codenames
        )
        assert perms.count() == len(codenames), f"missing permissions for {group_name}"
        group.permissions.set(perms)

    ModelPrice = apps.get_model("ftportal", "ModelPrice")
    for model, train, inp, out, limit, encoding, confirmed, note in PRICES:
        ModelPrice.objects.update_or_create(
            provider_kind="openai",
            model=model,
            defaults={
                "training_per_1m": Decimal(train),
                "input_per_1m": Decimal(inp),
                "output_per_1m": Decimal(out),
                "max_example_tokens": limit,
                "encoding": encoding,
                "confirmed": confirmed,
                "checked_on": CHECKED if confirmed else None,
                "source_note": note,
            },
        )


def backwards(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLE_PERMISSIONS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("ftportal", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
