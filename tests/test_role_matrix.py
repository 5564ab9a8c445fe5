"""Every page and action against every role, from one table.

`test_it_covers_every_url` walks the URL resolver and fails when a named
pattern is missing from ROWS, so a new page cannot be forgotten.
Codes: LOGIN = redirect to the login page; 302 = a redirect elsewhere (a POST
that worked); the rest are plain HTTP status codes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from ftportal.roles import Role
from ftportal.test import BaseTestCase, make_user
from tests.factories import DatasetFactory, JobFactory, make_version

LOGIN = "login"
ROLES = ("anonymous", "expert", "lead", "admin")
# URL namespaces with their own access rules, tested in their own suites.
EXCLUDED_NAMESPACES = ("admin", "sandbox")
# The login page itself; logout is POST-only for all; the invitation link needs a token.
EXCLUDED_NAMES = {"login", "logout", "password_reset_confirm"}


@dataclass(frozen=True)
class Row:
    name: str
    kwargs: Callable[[Any], dict[str, Any]]
    method: str
    anonymous: int | str
    expert: int | str
    lead: int | str
    admin: int | str
    data: Callable[[Any], dict[str, Any]] = lambda t: {}
    # True when the URL belongs to one project: an outsider must get 404.
    project_scoped: bool = True

    def expected(self, role: str) -> int | str:
        return getattr(self, role)


def _none(t: Any) -> dict[str, Any]:
    return {}


def _user(t: Any) -> dict[str, Any]:
    return {"user_id": t.alice.id}


def _slug(t: Any) -> dict[str, Any]:
    return {"slug": t.project.slug}


def _dataset(t: Any) -> dict[str, Any]:
    return {"dataset_id": t.dataset.id}


def _version(t: Any) -> dict[str, Any]:
    return {"dataset_id": t.dataset.id, "number": t.version.number}


def _source(t: Any) -> dict[str, Any]:
    return {"dataset_id": t.dataset.id, "source_id": t.version.run.source_file_id}


def _run(t: Any) -> dict[str, Any]:
    return {"dataset_id": t.dataset.id, "run_id": t.version.run_id}


def _download(t: Any) -> dict[str, Any]:
    return {**_version(t), "split": "train"}


def _job(t: Any) -> dict[str, Any]:
    return {"job_id": t.job.id}


def _cred(t: Any) -> dict[str, Any]:
    return {"credential_id": t.job.credential_id}


def _job_cancel(t: Any) -> dict[str, Any]:
    return {"job_id": t.job.id, "action": "cancel"}


ROWS = [
    Row("home", _none, "GET", 302, 302, 302, 302, project_scoped=False),
    Row("healthz", _none, "GET", 200, 200, 200, 200, project_scoped=False),
    Row("notification-settings", _none, "GET", LOGIN, 200, 200, 200, project_scoped=False),
    Row("password_change", _none, "GET", LOGIN, 200, 200, 200, project_scoped=False),
    Row("password_change_done", _none, "GET", LOGIN, 200, 200, 200, project_scoped=False),
    Row("ftportal:project-list", _none, "GET", LOGIN, 200, 200, 200, project_scoped=False),
    Row("ftportal:project-create", _none, "GET", LOGIN, 403, 200, 200, project_scoped=False),
    Row("ftportal:project-detail", _slug, "GET", LOGIN, 200, 200, 200),
    Row("ftportal:project-edit", _slug, "GET", LOGIN, 403, 200, 200),
    Row("ftportal:user-list", _none, "GET", LOGIN, 403, 403, 200, project_scoped=False),
    Row("ftportal:user-create", _none, "GET", LOGIN, 403, 403, 200, project_scoped=False),
    Row("ftportal:user-edit", _user, "GET", LOGIN, 403, 403, 200, project_scoped=False),
    Row("ftportal:audit", _none, "GET", LOGIN, 403, 403, 200, project_scoped=False),
    Row("ftportal:audit-csv", _none, "GET", LOGIN, 403, 403, 200, project_scoped=False),
    Row("password_reset_complete", _none, "GET", 200, 200, 200, 200, project_scoped=False),
    Row("datasets_app:dataset-list", _none, "GET", LOGIN, 200, 200, 200, project_scoped=False),
    Row("datasets_app:project-datasets", _slug, "GET", LOGIN, 200, 200, 200),
    Row("datasets_app:dataset-detail", _dataset, "GET", LOGIN, 200, 200, 200),
    Row("datasets_app:version-detail", _version, "GET", LOGIN, 200, 200, 200),
    Row("datasets_app:dataset-create", _slug, "GET", LOGIN, 200, 200, 200),
    Row("datasets_app:dataset-upload", _dataset, "GET", LOGIN, 200, 200, 200),
    Row("datasets_app:source-map", _source, "GET", LOGIN, 200, 200, 200),
    Row("datasets_app:run-detail", _run, "GET", LOGIN, 200, 200, 200),
    Row("datasets_app:run-cancel", _run, "POST", LOGIN, 302, 302, 302),
    Row("datasets_app:run-rerun", _run, "POST", LOGIN, 302, 302, 302),
    Row("datasets_app:run-problems-csv", _run, "GET", LOGIN, 200, 200, 200),
    Row("datasets_app:version-examples", _version, "GET", LOGIN, 200, 200, 200),
    Row("datasets_app:version-diff", _version, "GET", LOGIN, 200, 200, 200),
    Row("datasets_app:version-download", _download, "GET", LOGIN, 200, 200, 200),
    Row("jobs_app:job-list", _none, "GET", LOGIN, 200, 200, 200, project_scoped=False),
    Row("jobs_app:project-jobs", _slug, "GET", LOGIN, 200, 200, 200),
    Row("jobs_app:job-detail", _job, "GET", LOGIN, 200, 200, 200),
    Row("jobs_app:job-create", _slug, "GET", LOGIN, 403, 200, 200),
    Row("jobs_app:job-action", _job_cancel, "POST", LOGIN, 403, 302, 302),
    Row("jobs_app:dashboard", _none, "GET", LOGIN, 403, 200, 200, project_scoped=False),
    Row("jobs_app:admin-home", _none, "GET", LOGIN, 403, 403, 200, project_scoped=False),
    Row("jobs_app:spend", _none, "GET", LOGIN, 403, 200, 200, project_scoped=False),
    Row("jobs_app:budgets", _none, "GET", LOGIN, 403, 403, 200, project_scoped=False),
    Row("jobs_app:project-budget", _slug, "GET", LOGIN, 403, 403, 200, project_scoped=False),
    Row("jobs_app:credential-list", _none, "GET", LOGIN, 403, 403, 200, project_scoped=False),
    Row("jobs_app:credential-create", _none, "GET", LOGIN, 403, 403, 200, project_scoped=False),
    Row("jobs_app:credential-edit", _cred, "GET", LOGIN, 403, 403, 200, project_scoped=False),
    Row(
        "jobs_app:credential-rotate",
        _cred,
        "POST",
        LOGIN,
        403,
        403,
        302,
        project_scoped=False,
        data=lambda t: {"secret": "sk-new-secret-value"},
    ),
    Row("jobs_app:credential-test", _cred, "POST", LOGIN, 403, 403, 302, project_scoped=False),
    Row("jobs_app:credential-delete", _cred, "POST", LOGIN, 403, 403, 302, project_scoped=False),
    Row(
        "jobs_app:credential-assign",
        _cred,
        "POST",
        LOGIN,
        403,
        403,
        302,
        project_scoped=False,
        data=lambda t: {"project": t.project.id},
    ),
]


def _pattern_names(resolver: URLResolver, prefix: str = "") -> set[str]:
    names: set[str] = set()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            namespace = entry.namespace or ""
            if namespace in EXCLUDED_NAMESPACES:
                continue
            inner = f"{prefix}{namespace}:" if namespace else prefix
            names |= _pattern_names(entry, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            names.add(prefix + entry.name)
    return names


class RoleMatrixTestCase(BaseTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.users = {
            "expert": make_user("expert", Role.DOMAIN_EXPERT),
            "lead": make_user("lead", Role.TEAM_LEAD),
            "admin": make_user("admin", Role.ADMIN),  # not a member: admins see all
        }
        cls.project.members.add(cls.users["expert"], cls.users["lead"])
        cls.dataset = DatasetFactory(project=cls.project)
        cls.version = make_version(cls.dataset)
        cls.job = JobFactory(dataset_version=cls.version)

    def _request(self, row: Row, role: str | None):
        self.client.logout()
        user = self.users.get(role) if role else None
        if user is None and role == "outsider":
            user = self.bob
        if user is not None:
            self.client.force_login(user)
        url = reverse(row.name, kwargs=row.kwargs(self))
        # Each request in a savepoint rolled back, so a POST by one role
        # cannot change what the next role sees.
        with transaction.atomic():
            if row.method == "GET":
                response = self.client.get(url)
            else:
                response = self.client.post(url, row.data(self))
            transaction.set_rollback(True)
        return url, response

    def test_it_covers_every_url(self) -> None:
        missing = _pattern_names(get_resolver()) - {r.name for r in ROWS} - EXCLUDED_NAMES
        assert not missing, f"add these URL names to ROWS in {__file__}: {sorted(missing)}"

    def test_it_gives_each_role_what_the_table_says(self) -> None:
        for row in ROWS:
            for role in ROLES:
                with self.subTest(url=row.name, role=role):
                    url, response = self._request(row, None if role == "anonymous" else role)
                    expected = row.expected(role)
                    if expected == LOGIN:
                        assert response.status_code == 302, (url, response.status_code)
                        assert response["Location"].startswith("/accounts/login/"), url
                    elif expected == 302:
                        assert response.status_code == 302, (url, response.status_code)
                        assert not response["Location"].startswith("/accounts/login/"), url
                    else:
                        assert response.status_code == expected, (url, role, response.status_code)

    def test_it_hides_one_projects_pages_from_another_projects_members(self) -> None:
        # bob leads another project: every URL of alice's project is a 404 for him.
        for row in ROWS:
            if not row.project_scoped:
                continue
            with self.subTest(url=row.name):
                url, response = self._request(row, "outsider")
                assert response.status_code == 404, (url, response.status_code)
