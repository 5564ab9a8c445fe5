from __future__ import annotations

from django.apps import AppConfig


class FtportalConfig(AppConfig):
    name = "ftportal"
    verbose_name = "Portal"

    def ready(self) -> None:
        # Login and failed-login audit lines come from Django's auth signals.
        from ftportal import audit  # noqa: F401
