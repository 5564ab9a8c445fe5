from __future__ import annotations

import os
from io import StringIO
from unittest import mock

from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import TestCase

from ftportal.models import Project
from ftportal.roles import Role, role_of
from jobs_app.models import ProjectProvider, ProviderCredential


class BootstrapDemoTestCase(TestCase):
    def test_it_creates_the_demo_organisation_once(self) -> None:
        out = StringIO()
        call_command("bootstrap_demo", stdout=out)
        assert "shown this once" in out.getvalue()
        roles = {u.username: role_of(u) for u in User.objects.all()}
        assert roles == {"admin": Role.ADMIN, "lead": Role.TEAM_LEAD, "expert": Role.DOMAIN_EXPERT}
        assert sorted(Project.objects.values_list("use_case", flat=True)) == [
            "legal",
            "recommendations",
            "support",
        ]
        sandbox = ProviderCredential.objects.get(kind="sandbox")
        assert ProjectProvider.objects.filter(credential=sandbox).count() == 3
        # The stored key is encrypted, never the plain sandbox key.
        assert b"sk-sandbox" not in bytes(sandbox.secret_encrypted)

        again = StringIO()
        with self.assertNumQueries(13):
            call_command("bootstrap_demo", stdout=again)
        assert again.getvalue().strip() == "Demo organisation already in place."
        assert User.objects.count() == 3 and Project.objects.count() == 3

    def test_it_takes_passwords_from_the_environment(self) -> None:
        out = StringIO()
        with mock.patch.dict(os.environ, {"DEMO_LEAD_PASSWORD": "lead-pass-from-env"}):
            call_command("bootstrap_demo", stdout=out)
        assert User.objects.get(username="lead").check_password("lead-pass-from-env")
        assert "lead-pass-from-env" not in out.getvalue()
        assert "username: lead" not in out.getvalue()
