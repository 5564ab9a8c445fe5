from __future__ import annotations

from typing import Any

import httpx2
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections


class _InTestWSGI:
    """Django's WSGI handler without closing the test's database connection after each
    request (Django's test client does the same), so requests see the test's transaction."""

    def __init__(self) -> None:
        self.handler = WSGIHandler()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            response = self.handler(environ, start_response)
            body = b"".join(response)
            response.close()
            return [body]
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)


def sandbox_http_client() -> httpx2.Client:
    """An httpx2 client that carries requests into this process's Django: the real SDK,
    real HTTP semantics, the real sandbox views, inside the test's transaction."""
    return httpx2.Client(
        transport=httpx2.WSGITransport(app=_InTestWSGI()), base_url="http://testserver"
    )
