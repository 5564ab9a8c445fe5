from __future__ import annotations

from pathlib import Path

import pytest

CORPUS_DIR = Path(__file__).resolve().parent.parent / "shared" / "corpus"


@pytest.fixture(scope="session", autouse=True)
def _session_settings(django_test_environment, tmp_path_factory):
    # Session-wide, so users and files made in setUpTestData (class setup) use them too.
    from django.test import override_settings

    override = override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        MEDIA_ROOT=tmp_path_factory.mktemp("media"),
    )
    override.enable()
    yield
    override.disable()


@pytest.fixture(autouse=True)
def _test_settings(settings):
    settings.OPENAI_API_KEY = "sk-test-not-a-real-key"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def corpus_dir() -> Path:
    if not CORPUS_DIR.is_dir():
        pytest.skip(f"the shared corpus is not at {CORPUS_DIR} (CI always has it)")
    return CORPUS_DIR
