from __future__ import annotations

from django.apps import AppConfig


class FtportalConfig(AppConfig):
    name = "ftportal"
    verbose_name = "Portal"
