"""Encryption of stored secrets (provider API keys) with rotatable keys.

ENCRYPTION_KEYS holds one or more secrets, newest first. Each is stretched to
a Fernet key with SHA-256, so an operator can use any long random string.
MultiFernet encrypts with the first and decrypts with any, which is what lets
`manage.py rotate_encryption_key` re-encrypt rows after a new key is added.
"""

from __future__ import annotations

import base64
import hashlib
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class SecretDecryptionError(Exception):
    """A stored secret could not be decrypted with any configured key."""


def _fernet_for(secret: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(secret.encode()).digest()))


@cache
def _multi(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([_fernet_for(k) for k in keys])


def _current() -> MultiFernet:
    return _multi(tuple(settings.ENCRYPTION_KEYS))


def encrypt_secret(plain: str) -> bytes:
    return _current().encrypt(plain.encode())


def decrypt_secret(token: bytes | memoryview) -> str:
    try:
        return _current().decrypt(bytes(token)).decode()
    except InvalidToken:
        # Never include the token or key material in the message.
        raise SecretDecryptionError(
            "A stored secret cannot be decrypted with the configured ENCRYPTION_KEYS."
        ) from None


def reencrypt_secret(token: bytes | memoryview) -> bytes:
    """Re-encrypt with the newest key (for key rotation)."""
    try:
        return _current().rotate(bytes(token))
    except InvalidToken:
        raise SecretDecryptionError(
            "A stored secret cannot be decrypted with the configured ENCRYPTION_KEYS."
        ) from None


def last4(plain: str) -> str:
    return plain[-4:] if len(plain) >= 8 else ""
