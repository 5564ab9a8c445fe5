from __future__ import annotations

from ftportal.roles import Role
from ftportal.test import BaseTestCase, make_user
from tests.factories import DatasetFactory, JobFactory, make_version


class AdminSiteTestCase(BaseTestCase):
    def test_admins_can_edit_prices_and_read_every_registered_table(self) -> None:
        admin = make_user("root", Role.ADMIN)
        JobFactory(dataset_version=make_version(DatasetFactory(project=self.project)))
        self.client.force_login(admin)
        for url in (
            "/admin/",
            "/admin/ftportal/modelprice/",
            "/admin/ftportal/modelprice/1/change/",
            "/admin/ftportal/project/",
            "/admin/jobs_app/job/",
            "/admin/jobs_app/job/1/change/",
            "/admin/jobs_app/providercredential/",
            "/admin/datasets_app/datasetversion/",
        ):
            assert self.client.get(url).status_code == 200, url
        page = self.client.get("/admin/jobs_app/providercredential/1/change/").content.decode()
        assert "secret_encrypted" not in page

    def test_team_leads_have_no_django_admin(self) -> None:
        self.client.force_login(self.alice)
        assert self.client.get("/admin/").status_code == 302
