"""docker-compose.yml and .env.example can only be parsed here (no Docker engine):
check that they agree with each other and with what the settings read."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
ENV_HELPERS = {"env_str", "env_bool", "env_int", "env_list", "env_secret"}
COMPOSE_ONLY = {"POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB"}


def _settings_variables() -> set[str]:
    tree = ast.parse((ROOT / "ftportal" / "settings.py").read_text())
    names = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ENV_HELPERS
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            names.add(node.args[0].value)
    return names


def _env_example() -> dict[str, str]:
    """Variable -> the comment above it (consecutive variables share one comment)."""
    documented: dict[str, str] = {}
    comment: list[str] = []
    after_variable = False
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.startswith("#"):
            if after_variable:
                comment, after_variable = [], False
            comment.append(line)
        elif "=" in line:
            documented[line.split("=", 1)[0]] = " ".join(comment)
            after_variable = True
        else:
            comment, after_variable = [], False
    return documented


def test_it_has_every_service():
    services = COMPOSE["services"]
    assert set(services) == {"db", "redis", "web", "worker", "beat"}
    assert services["db"]["image"].startswith("postgres")
    assert any(v.startswith("pgdata:") for v in services["db"]["volumes"])
    assert "pg_isready" in " ".join(services["db"]["healthcheck"]["test"])
    assert services["redis"]["image"].startswith("redis")
    assert "gunicorn" in services["web"]["command"]
    assert "migrate" in services["web"]["command"]
    assert "worker" in services["worker"]["command"]
    assert "beat" in services["beat"]["command"]


def test_it_gives_the_portal_services_the_same_environment():
    services = COMPOSE["services"]
    portal = ("web", "worker", "beat")
    envs = [(services[name]["env_file"], services[name]["environment"]) for name in portal]
    assert all(env == envs[0] for env in envs)
    env_file, environment = envs[0]
    assert env_file == ".env"
    assert environment["FTPORTAL_ENV"] == "production"
    assert environment["REDIS_URL"] == "redis://redis:6379/0"
    assert "@db:5432/" in environment["DATABASE_URL"]
    for name in portal:
        assert services[name]["depends_on"]["db"]["condition"] == "service_healthy"


def test_it_documents_every_setting_variable():
    documented = _env_example()
    read = _settings_variables()
    missing = read - set(documented)
    assert not missing, f"add to .env.example with a comment: {sorted(missing)}"
    # Secrets read through env_secret also accept NAME_FILE; the rest must be real.
    extra = set(documented) - read - COMPOSE_ONLY
    assert not extra, f".env.example lists variables the settings never read: {sorted(extra)}"
    undocumented = [name for name, comment in documented.items() if not comment.strip("# ")]
    assert not undocumented, f"variables without a comment line: {undocumented}"


def test_it_documents_every_variable_compose_uses():
    text = (ROOT / "docker-compose.yml").read_text()
    used = set(re.findall(r"\$\{([A-Z_]+)", text))
    assert used <= set(_env_example())
