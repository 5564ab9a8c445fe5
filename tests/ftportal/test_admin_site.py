from __future__ import annotations

from ftportal.models import AuditEntry, ModelPrice
from ftportal.roles import Role
from ftportal.test import BaseTestCase, make_user
from tests.factories import DatasetFactory, JobFactory, make_version


class AdminSiteTestCase(BaseTestCase):
    def test_admins_can_edit_prices_and_read_every_registered_table(self) -> None:
        admin = make_user("root", Role.ADMIN)
        job = JobFactory(dataset_version=make_version(DatasetFactory(project=self.project)))
        price = ModelPrice.objects.first()
        self.client.force_login(admin)
        urls = [
            "/admin/",
            "/admin/ftportal/modelprice/",
            f"/admin/ftportal/modelprice/{price.id}/change/",
            "/admin/ftportal/project/",
            "/admin/jobs_app/job/",
            f"/admin/jobs_app/job/{job.id}/change/",
            "/admin/jobs_app/providercredential/",
            "/admin/datasets_app/datasetversion/",
            "/admin/ftportal/auditentry/",
        ]
        for url in urls:
            assert self.client.get(url).status_code == 200, url
        page = self.client.get(f"/admin/jobs_app/providercredential/{job.credential_id}/change/")
        assert "secret_encrypted" not in page.content.decode()

    def test_a_price_change_is_audited(self) -> None:
        admin = make_user("root", Role.ADMIN)
        price = ModelPrice.objects.get(model="gpt-4o-mini-2024-07-18")
        self.client.force_login(admin)
        r = self.client.post(
            f"/admin/ftportal/modelprice/{price.id}/change/",
            {
                "provider_kind": "openai",
                "model": price.model,
                "training_per_1m": "3.50",
                "input_per_1m": "0.30",
                "output_per_1m": "1.20",
                "max_example_tokens": "65536",
                "encoding": "o200k_base",
                "checked_on": "2026-11-24",
                "source_note": "x",
                "confirmed": "on",
            },
        )
        assert r.status_code == 302
        entry = AuditEntry.objects.get(action="price_changed")
        assert entry.actor == admin and entry.data["training_per_1m"] == "3.50"

    def test_team_leads_have_no_django_admin(self) -> None:
        self.client.force_login(self.alice)
        assert self.client.get("/admin/").status_code == 302
