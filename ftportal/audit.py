"""The audit trail: one append-only line per thing that matters, never a secret.

Services call audit_log(); the request (for the address and browser) comes
from a context variable that AuditMiddleware sets, so services need no request.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable
from typing import Any

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse

from ftportal.models import AuditEntry, Project

logger = logging.getLogger(__name__)
_request: contextvars.ContextVar[HttpRequest | None] = contextvars.ContextVar(
    "audit_request", default=None
)
SECRET_KEYS = ("secret", "password", "api_key", "token", "key")


class AuditMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _request.set(request)
        try:
            return self.get_response(request)
        finally:
            _request.reset(token)


def _clean(data: dict[str, Any] | None) -> dict[str, Any]:
    """Drop anything whose name says it is a secret, whatever the caller passed."""
    return {k: v for k, v in (data or {}).items() if not any(s in k.lower() for s in SECRET_KEYS)}


def audit_log(
    *,
    actor: Any = None,
    action: str,
    target: Any = None,
    project: Project | None = None,
    data: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> AuditEntry:
    request = request or _request.get()
    if actor is None and request is not None and getattr(request, "user", None) is not None:
        actor = request.user if request.user.is_authenticated else None
    ip = None
    agent = ""
    if request is not None:
        ip = request.META.get("REMOTE_ADDR") or None
        agent = request.META.get("HTTP_USER_AGENT", "")[:300]
    entry = AuditEntry.objects.create(
        actor=actor,
        actor_label=getattr(actor, "username", "")[:150],
        action=action,
        target_type=type(target).__name__ if target is not None else "",
        target_id=str(getattr(target, "pk", "") or "")[:64],
        target_label=str(target)[:300] if target is not None else "",
        project=project,
        ip=ip,
        user_agent=agent,
        data=_clean(data),
    )
    return entry


@receiver(user_logged_in)
def _logged_in(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    audit_log(actor=user, action="login", target=user, request=request)


@receiver(user_login_failed)
def _login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    audit_log(
        action="login_failed",
        data={"username": credentials.get("username", "")[:150]},
        request=request,
    )
