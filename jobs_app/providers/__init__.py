"""Build the provider for a stored credential; the secret is decrypted only here, at call time."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from ftportal.lib.crypto import decrypt_secret
from jobs_app.providers.base import (
    AmbiguousCreateError,
    JobSpec,
    PermanentError,
    Provider,
    ProviderError,
    TransientError,
)


def default_http_client() -> Any:
    """None: the SDK's own client. Tests swap in an httpx2 client wired to the sandbox."""
    return None


_default = default_http_client


_cache: dict[tuple[Any, ...], Provider] = {}


def provider_for(credential: Any, *, timeout: float = 30.0) -> Provider:
    """One provider per credential version and process: building an SDK client (its HTTP
    connection pool and TLS context) costs more than a poll's two requests."""
    key = (credential.id, credential.updated_at, timeout, default_http_client is _default)
    provider = _cache.get(key) if key[-1] else None
    if provider is None:
        provider = _build(credential, timeout)
        if key[-1]:
            if len(_cache) > 64:
                _cache.clear()
            _cache[key] = provider
    return provider


def _build(credential: Any, timeout: float) -> Provider:
    from jobs_app.models import ProviderCredential
    from jobs_app.providers.openai import OpenAIProvider

    secret = decrypt_secret(credential.secret_encrypted)
    kind = credential.kind
    # No SDK retries: they sleep inside a worker and spend the provider's
    # Retry-After there; the portal's tasks back off and retry by themselves.
    common = {
        "api_key": secret,
        "timeout": timeout,
        "http_client": default_http_client(),
        "max_retries": 0,
    }
    if kind == ProviderCredential.Kind.AZURE:
        return OpenAIProvider(
            azure_endpoint=credential.base_url,
            api_version=credential.api_version or "2025-04-01-preview",
            **common,
        )
    base_url = credential.base_url or None
    if kind == ProviderCredential.Kind.SANDBOX:
        base_url = credential.base_url or settings.SANDBOX_BASE_URL
    return OpenAIProvider(
        base_url=base_url,
        organization=credential.organization or None,
        project=credential.openai_project or None,
        **common,
    )


__all__ = [
    "AmbiguousCreateError",
    "JobSpec",
    "PermanentError",
    "Provider",
    "ProviderError",
    "TransientError",
    "provider_for",
]
