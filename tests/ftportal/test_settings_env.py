from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from ftportal.lib.env import database_from_url, env_bool, env_int, env_list, env_secret

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "FTPORTAL_ENV": "production",
    "SECRET_KEY": "x" * 64 + "-a-long-and-random-enough-secret-key-for-checks",
    "ENCRYPTION_KEY": "another-long-secret",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/test",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "ALLOWED_HOSTS": "portal.example.com",
}


# Set by the browser tests' fixture for Playwright; a deployment never has it.
NOT_INHERITED = ("DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}


def _load_settings(env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    clean = _clean_env()
    clean.update({"VAR_DIR": str(tmp_path / "var"), **env})
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('loaded')"],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "ftportal.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_it_names_a_malformed_database_url(tmp_path, monkeypatch):
    result = _load_settings({"DATABASE_URL": "mysql//oops"}, tmp_path)
    assert result.returncode != 0
    assert "ImproperlyConfigured: DATABASE_URL has an unsupported scheme" in result.stderr


def test_it_names_a_non_boolean_debug(tmp_path):
    result = _load_settings({"DEBUG": "maybe"}, tmp_path)
    assert result.returncode != 0
    assert "DEBUG='maybe' is not a boolean" in result.stderr


def test_it_requires_a_secret_key_in_production(tmp_path):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}
    result = _load_settings(env, tmp_path)
    assert result.returncode != 0
    assert "SECRET_KEY is required in production" in result.stderr


def test_it_requires_an_encryption_key_in_production(tmp_path):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "ENCRYPTION_KEY"}
    result = _load_settings(env, tmp_path)
    assert "ENCRYPTION_KEY is required in production" in result.stderr


def test_it_loads_in_development_and_keeps_generated_keys(tmp_path):
    assert _load_settings({}, tmp_path).stdout.strip() == "loaded"
    first = (tmp_path / "var" / "secret_key").read_text()
    assert _load_settings({}, tmp_path).returncode == 0
    assert (tmp_path / "var" / "secret_key").read_text() == first
    assert oct((tmp_path / "var" / "secret_key").stat().st_mode & 0o777) == "0o600"


@pytest.mark.slow
def test_it_passes_check_deploy_in_production_without_warnings(tmp_path):
    clean = _clean_env()
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={**clean, **PRODUCTION_ENV, "VAR_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues (0 silenced)" in result.stdout


class TestHelpers:
    def test_env_bool(self, monkeypatch):
        monkeypatch.setenv("X_FLAG", "Yes")
        assert env_bool("X_FLAG") is True
        monkeypatch.setenv("X_FLAG", "off")
        assert env_bool("X_FLAG", default=True) is False
        monkeypatch.delenv("X_FLAG")
        assert env_bool("X_FLAG", default=True) is True

    def test_env_int(self, monkeypatch):
        monkeypatch.setenv("X_NUM", "12")
        assert env_int("X_NUM", 1) == 12
        monkeypatch.setenv("X_NUM", "twelve")
        with pytest.raises(ImproperlyConfigured, match="X_NUM='twelve' is not a whole number"):
            env_int("X_NUM", 1)
        monkeypatch.setenv("X_NUM", "0")
        with pytest.raises(ImproperlyConfigured, match="must be at least 1"):
            env_int("X_NUM", 1, minimum=1)

    def test_env_list(self, monkeypatch):
        monkeypatch.setenv("X_LIST", " a, b ,,c ")
        assert env_list("X_LIST", []) == ["a", "b", "c"]

    def test_env_secret_from_file(self, monkeypatch, tmp_path):
        secret_file = tmp_path / "s"
        secret_file.write_text("from-file\n")
        monkeypatch.setenv("X_SECRET_FILE", str(secret_file))
        assert env_secret("X_SECRET", required=True) == "from-file"
        monkeypatch.setenv("X_SECRET", "both")
        with pytest.raises(ImproperlyConfigured, match="either X_SECRET or X_SECRET_FILE"):
            env_secret("X_SECRET", required=True)

    def test_env_secret_missing_file(self, monkeypatch, tmp_path):
        monkeypatch.setenv("X_SECRET_FILE", str(tmp_path / "nope"))
        with pytest.raises(ImproperlyConfigured, match="cannot be read"):
            env_secret("X_SECRET", required=True)

    def test_database_url(self):
        cfg = database_from_url("DATABASE_URL", "postgres://u:p@db:5433/portal")
        assert cfg["ENGINE"] == "django.db.backends.postgresql"
        assert (cfg["HOST"], cfg["PORT"], cfg["NAME"]) == ("db", 5433, "portal")
        with pytest.raises(ImproperlyConfigured, match="names no database"):
            database_from_url("DATABASE_URL", "postgres://u:p@db:5432")
        with pytest.raises(ImproperlyConfigured) as excinfo:
            database_from_url("DATABASE_URL", "postgres://u:hunter2@db:notaport/x")
        assert "DATABASE_URL" in str(excinfo.value)
        assert "hunter2" not in str(excinfo.value)
