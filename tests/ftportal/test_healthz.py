from __future__ import annotations

from unittest import mock

from django.db import OperationalError
from django.test import TestCase, override_settings


class HealthzTestCase(TestCase):
    def test_it_answers_200_when_everything_is_reachable(self) -> None:
        r = self.client.get("/healthz")
        assert r.status_code == 200
        assert r.json() == {"status": "ok", "database": "ok", "broker": "ok"}
        assert "no-cache" in r["Cache-Control"]

    def test_it_names_an_unreachable_broker(self) -> None:
        # A closed port: the real kombu connection fails, nothing is patched.
        with override_settings(CELERY_BROKER_URL="redis://127.0.0.1:9/0"):
            r = self.client.get("/healthz")
        assert r.status_code == 503
        body = r.json()
        assert body["database"] == "ok"
        assert body["broker"].startswith("broker unreachable")

    def test_it_names_an_unreachable_database(self) -> None:
        with mock.patch(
            "django.db.backends.utils.CursorWrapper.execute",
            side_effect=OperationalError("connection refused"),
        ):
            r = self.client.get("/healthz")
        assert r.status_code == 503
        assert r.json()["database"] == "database unreachable: OperationalError"

    @override_settings(ALLOWED_HOSTS=["testserver"])
    def test_it_needs_no_login(self) -> None:
        assert self.client.get("/healthz").status_code == 200
