from __future__ import annotations

from django.apps import AppConfig


class JobsAppConfig(AppConfig):
    name = "jobs_app"
    verbose_name = "Jobs"
