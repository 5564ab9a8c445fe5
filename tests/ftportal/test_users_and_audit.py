from __future__ import annotations

import re

from django.contrib.auth.models import User
from django.core import mail
from django.core.cache import cache
from django.test import override_settings

from ftportal.models import AuditEntry
from ftportal.roles import Role, role_of
from ftportal.test import BaseTestCase, make_user


class UsersTestCase(BaseTestCase):
    def setUp(self) -> None:
        self.admin = make_user("root", Role.ADMIN)
        self.client.force_login(self.admin)

    def test_it_creates_a_user_with_a_role_and_projects(self) -> None:
        r = self.client.post(
            "/manage/users/new/",
            {
                "username": "dora",
                "email": "dora@example.org",
                "role": "domain_expert",
                "projects": [self.project.id],
                "password": "a sturdy passphrase 42",
            },
        )
        assert r.status_code == 302
        dora = User.objects.get(username="dora")
        assert role_of(dora) == Role.DOMAIN_EXPERT and list(dora.projects.all()) == [self.project]
        assert AuditEntry.objects.filter(action="user_created", target_label="dora").exists()
        weak = self.client.post(
            "/manage/users/new/",
            {
                "username": "weak",
                "email": "w@example.org",
                "role": "team_lead",
                "password": "12345678",
            },
        )
        assert "This password is too common." in weak.content.decode()

    def test_an_invitation_link_sets_the_password_once(self) -> None:
        self.client.post(
            "/manage/users/new/",
            {"username": "ivy", "email": "ivy@example.org", "role": "team_lead"},
        )
        assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ivy@example.org"]
        link = re.search(r"https?://\S+/accounts/reset/\S+/", mail.outbox[0].body).group(0)
        path = link.split("://", 1)[1].split("/", 1)[1]
        self.client.logout()
        r = self.client.get("/" + path, follow=True)
        form_url = r.redirect_chain[-1][0]
        r = self.client.post(
            form_url,
            {"new_password1": "ivy's own passphrase", "new_password2": "ivy's own passphrase"},
        )
        assert r.status_code == 302
        assert User.objects.get(username="ivy").check_password("ivy's own passphrase")
        assert "expired" in self.client.get("/" + path, follow=True).content.decode()

    def test_role_changes_take_effect_on_the_next_request(self) -> None:
        self.client.post(
            f"/manage/users/{self.alice.id}/",
            {"role": "domain_expert", "projects": [self.project.id], "is_active": "on"},
        )
        self.client.force_login(self.alice)
        assert self.client.get("/projects/new/").status_code == 403

    def test_the_last_active_admin_cannot_be_demoted_or_deactivated(self) -> None:
        for data in ({"role": "team_lead", "is_active": "on"}, {"role": "admin"}):
            r = self.client.post(f"/manage/users/{self.admin.id}/", data)
            assert "last active admin" in r.content.decode()
        self.admin.refresh_from_db()
        assert self.admin.is_active and role_of(self.admin) == Role.ADMIN
        make_user("second", Role.ADMIN)
        self.client.post(
            f"/manage/users/{self.admin.id}/", {"role": "team_lead", "is_active": "on"}
        )
        assert role_of(User.objects.get(id=self.admin.id)) == Role.TEAM_LEAD

    def test_deactivated_users_cannot_log_in(self) -> None:
        self.client.post(f"/manage/users/{self.alice.id}/", {"role": "team_lead"})
        self.client.logout()
        r = self.client.post("/accounts/login/", {"username": "alice", "password": "password"})
        assert r.status_code == 200


class AuditTestCase(BaseTestCase):
    def test_logins_are_audited_and_the_trail_filters_and_exports(self) -> None:
        self.client.post("/accounts/login/", {"username": "alice", "password": "wrong"})
        self.client.post(
            "/accounts/login/",
            {"username": "alice", "password": "password"},
            REMOTE_ADDR="10.1.2.3",
        )
        actions = list(AuditEntry.objects.order_by("id").values_list("action", "ip"))
        assert ("login_failed", "127.0.0.1") in actions and ("login", "10.1.2.3") in actions
        AuditEntry.objects.create(action="=cmd|' /C calc'!A0", actor_label="@evil")
        admin = make_user("root", Role.ADMIN)
        self.client.force_login(admin)
        page = self.client.get("/manage/audit/?action=login").content.decode()
        assert "login_failed" not in page.split("<tbody>")[1] and ">login<" in page
        body = b"".join(self.client.get("/manage/audit.csv").streaming_content).decode()
        assert "'=cmd|" in body and "'@evil" in body
        assert "wrong" not in body  # no password, ever

    def test_only_admins_read_the_trail(self) -> None:
        self.client.force_login(self.alice)
        assert self.client.get("/manage/audit/").status_code == 403


@override_settings(LOGIN_MAX_FAILURES=3)
class LoginRateLimitTestCase(BaseTestCase):
    def setUp(self) -> None:
        cache.clear()

    def test_it_refuses_after_too_many_failures_even_with_the_right_password(self) -> None:
        for _ in range(3):
            self.client.post("/accounts/login/", {"username": "alice", "password": "guess"})
        r = self.client.post("/accounts/login/", {"username": "alice", "password": "password"})
        assert r.status_code == 200 and "Too many failed attempts" in r.content.decode()
        cache.clear()
        r = self.client.post("/accounts/login/", {"username": "alice", "password": "password"})
        assert r.status_code == 302
