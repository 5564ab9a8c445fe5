"""Reachability checks for /healthz: the database and the Celery broker."""

from __future__ import annotations

from django.db import connection


def check_database() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any failure means unreachable
        return False, f"database unreachable: {type(exc).__name__}"
    return True, ""


def check_broker() -> tuple[bool, str]:
    from django.conf import settings
    from kombu import Connection

    try:
        with Connection(
            settings.CELERY_BROKER_URL,
            transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS,
            connect_timeout=2,
        ) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:  # noqa: BLE001
        return False, f"broker unreachable: {type(exc).__name__}"
    return True, ""


def check_all() -> dict[str, tuple[bool, str]]:
    return {"database": check_database(), "broker": check_broker()}
