"""Re-encrypt stored provider secrets with the newest key after ENCRYPTION_KEYS=new,old."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from jobs_app.credentials import credentials_reencrypt


class Command(BaseCommand):
    help = "Re-encrypt every stored secret with the first key of ENCRYPTION_KEYS."

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            count = credentials_reencrypt()
        self.stdout.write(
            f"Re-encrypted {count} secret(s) with the newest key. "
            "The old key can now be removed from ENCRYPTION_KEYS."
        )
