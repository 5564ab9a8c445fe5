from __future__ import annotations

import logging
from unittest import mock

from django.db import connection
from django.test import override_settings

from ftportal.roles import Role
from ftportal.test import BaseTestCase, make_user
from jobs_app.models import ProjectProvider, ProviderCredential
from tests.sandbox.helpers import sandbox_http_client

SECRET = "sk-live-abcdefghijklmnopqrstuvwxyz-9876"


@override_settings(SANDBOX_API_KEY="sk-sandbox-test")
class CredentialsTestCase(BaseTestCase):
    def setUp(self) -> None:
        self.admin = make_user("root", Role.ADMIN)
        self.client.force_login(self.admin)
        patcher = mock.patch("jobs_app.providers.default_http_client", sandbox_http_client)
        patcher.start()
        self.addCleanup(patcher.stop)

    def _create(self, secret: str = SECRET, **extra) -> ProviderCredential:
        data = {
            "name": "Main",
            "kind": "compatible",
            "secret": secret,
            "base_url": "http://testserver/sandbox/v1",
            **extra,
        }
        r = self.client.post("/manage/credentials/new/", data)
        assert r.status_code == 302, r.content
        return ProviderCredential.objects.get(name=data["name"])

    def _every_text_column_contains(self, needle: str) -> list[str]:
        hits = []
        with connection.cursor() as cursor:
            for table in connection.introspection.table_names():
                for col in connection.introspection.get_table_description(cursor, table):
                    cursor.execute(
                        f'SELECT COUNT(*) FROM "{table}" WHERE "{col.name}"::text LIKE %s',
                        [f"%{needle}%"],
                    )
                    if cursor.fetchone()[0]:
                        hits.append(f"{table}.{col.name}")
        return hits

    def test_the_secret_never_leaves_in_clear(self) -> None:
        with self.assertLogs(level=logging.DEBUG) as logs:
            credential = self._create()
            pages = [
                self.client.get("/manage/credentials/").content,
                self.client.get(f"/manage/credentials/{credential.id}/").content,
                self.client.post(
                    f"/manage/credentials/{credential.id}/test/", HTTP_HX_REQUEST="true"
                ).content,
            ]
            self.client.post(
                f"/manage/credentials/{credential.id}/rotate/", {"secret": SECRET + "-v2"}
            )
            pages.append(self.client.get(f"/manage/credentials/{credential.id}/").content)
        for body in pages:
            assert SECRET.encode() not in body
        assert all(SECRET not in line for line in logs.output)
        assert self._every_text_column_contains(SECRET[8:24]) == []
        credential.refresh_from_db()
        assert credential.secret_last4 == (SECRET + "-v2")[-4:]
        assert b"\xe2\x80\xa6" + (SECRET + "-v2")[-4:].encode() in pages[-1]

    def test_test_connection_lists_models_or_the_providers_error(self) -> None:
        good = self._create(secret="sk-sandbox-test", name="Sandbox")
        r = self.client.post(f"/manage/credentials/{good.id}/test/", HTTP_HX_REQUEST="true")
        body = r.content.decode()
        assert "<html" not in body and "gpt-4o-mini-2024-07-18" in body and "2027-01-14" in body
        bad = self._create(name="Wrong")
        body = self.client.post(
            f"/manage/credentials/{bad.id}/test/", HTTP_HX_REQUEST="true"
        ).content.decode()
        assert "Incorrect API key provided" in body and SECRET not in body

    def test_projects_choose_their_credential_and_a_used_one_cannot_be_deleted(self) -> None:
        credential = self._create()
        self.client.post(
            f"/manage/credentials/{credential.id}/assign/", {"project": self.project.id}
        )
        assert ProjectProvider.objects.get(project=self.project).credential == credential
        self.client.post(f"/manage/credentials/{credential.id}/delete/")
        assert ProviderCredential.objects.filter(id=credential.id).exists()

    def test_azure_needs_endpoint_and_version(self) -> None:
        r = self.client.post(
            "/manage/credentials/new/", {"name": "Az", "kind": "azure", "secret": "k" * 20}
        )
        body = r.content.decode()
        assert "This kind of provider needs its URL." in body
        assert "Azure OpenAI needs an API version." in body

    def test_team_leads_cannot_manage_credentials(self) -> None:
        self.client.force_login(self.alice)
        assert self.client.get("/manage/credentials/").status_code == 403

    def test_rotating_the_encryption_key_keeps_secrets_readable(self) -> None:
        from django.core.management import call_command

        from ftportal.lib.crypto import decrypt_secret

        credential = self._create()
        with self.settings(ENCRYPTION_KEYS=["new-key-material", *self.settings_keys()]):
            call_command("rotate_encryption_key", stdout=mock.Mock())
            credential.refresh_from_db()
            assert decrypt_secret(credential.secret_encrypted) == SECRET
        with self.settings(ENCRYPTION_KEYS=["new-key-material"]):
            assert decrypt_secret(credential.secret_encrypted) == SECRET  # the old key is gone

    @staticmethod
    def settings_keys() -> list[str]:
        from django.conf import settings

        return list(settings.ENCRYPTION_KEYS)
