from __future__ import annotations

from django.contrib.auth.models import User

from ftportal.models import Project
from ftportal.roles import Role
from ftportal.test import BaseTestCase, make_user
from ftportal.use_cases import UseCaseKey, guess_columns


class ProjectListTestCase(BaseTestCase):
    def test_it_shows_only_member_projects(self) -> None:
        self.client.force_login(self.alice)
        r = self.client.get("/projects/")
        assert r.status_code == 200
        assert "Alice&#x27;s support bot" in r.content.decode()
        assert "Bob&#x27;s legal bot" not in r.content.decode()

    def test_it_shows_all_projects_to_admins(self) -> None:
        admin = make_user("root", Role.ADMIN)
        self.client.force_login(admin)
        body = self.client.get("/projects/").content.decode()
        assert "Alice&#x27;s support bot" in body and "Bob&#x27;s legal bot" in body

    def test_it_has_a_readable_empty_state(self) -> None:
        loner = make_user("loner", Role.DOMAIN_EXPERT)
        self.client.force_login(loner)
        body = self.client.get("/projects/").content.decode()
        assert "No projects yet" in body

    def test_it_runs_a_fixed_number_of_queries(self) -> None:
        for i in range(5):
            p = Project.objects.create(name=f"P{i}", slug=f"p{i}", use_case=UseCaseKey.CUSTOM)
            p.members.add(self.alice)
        self.client.force_login(self.alice)
        self.client.get("/projects/")  # warm the permission cache paths
        with self.assertNumQueries(6):
            self.client.get("/projects/")

    def test_it_redirects_anonymous_to_login(self) -> None:
        r = self.client.get("/projects/")
        assert r.status_code == 302
        assert r["Location"].startswith("/accounts/login/")


class ProjectDetailTestCase(BaseTestCase):
    def test_it_shows_the_use_case_template(self) -> None:
        self.client.force_login(self.alice)
        body = self.client.get("/projects/alice-support/").content.decode()
        assert "Customer support" in body
        assert "Question" in body and "Answer" in body
        assert "token_f1" in body

    def test_it_404s_for_a_non_member(self) -> None:
        self.client.force_login(self.alice)
        assert self.client.get("/projects/bob-legal/").status_code == 404


class ProjectCreateTestCase(BaseTestCase):
    def test_it_creates_a_project_with_the_use_case_prompt(self) -> None:
        self.client.force_login(self.alice)
        r = self.client.post(
            "/projects/new/",
            {"name": "Contracts", "slug": "contracts", "use_case": "legal", "members": []},
        )
        assert r.status_code == 302
        project = Project.objects.get(slug="contracts")
        assert project.default_system_prompt.startswith("You are a careful legal assistant")
        # The creator is always a member, so they can see what they made.
        assert self.alice in project.members.all()

    def test_it_refuses_a_duplicate_slug(self) -> None:
        self.client.force_login(self.alice)
        r = self.client.post(
            "/projects/new/", {"name": "X", "slug": "bob-legal", "use_case": "custom"}
        )
        assert r.status_code == 200
        assert "Another project already uses this short name." in r.content.decode()

    def test_it_forbids_domain_experts(self) -> None:
        expert = make_user("expert", Role.DOMAIN_EXPERT)
        self.client.force_login(expert)
        assert self.client.get("/projects/new/").status_code == 403


class ProjectEditTestCase(BaseTestCase):
    def test_it_updates_fields_and_members(self) -> None:
        carol = make_user("carol", Role.DOMAIN_EXPERT)
        self.client.force_login(self.alice)
        r = self.client.post(
            "/projects/alice-support/edit/",
            {
                "name": "Support v2",
                "slug": "ignored",
                "use_case": "support",
                "description": "New",
                "default_system_prompt": "Be brief.",
                "members": [self.alice.id, carol.id],
            },
        )
        assert r.status_code == 302
        self.project.refresh_from_db()
        assert self.project.name == "Support v2"
        assert self.project.slug == "alice-support"  # slugs are stable links
        assert set(self.project.members.all()) == {self.alice, carol}


class GuessColumnsTestCase(BaseTestCase):
    def test_it_maps_common_and_foreign_headers(self) -> None:
        assert guess_columns("support", ["Question", "Answer", "Class"]) == {
            "prompt": "Question",
            "response": "Answer",
            "category": "Class",
        }
        assert guess_columns("custom", ["Frage", "Antwort"]) == {
            "prompt": "Frage",
            "response": "Antwort",
        }
        assert guess_columns("legal", ["question", "text", "answer"]) == {
            "prompt": "question",
            "context": "text",
            "response": "answer",
        }

    def test_it_never_maps_one_header_twice(self) -> None:
        guess = guess_columns("custom", ["prompt"])
        assert guess == {"prompt": "prompt"}


class AuthTestCase(BaseTestCase):
    def test_it_logs_in_and_out(self) -> None:
        r = self.client.post("/accounts/login/", {"username": "alice", "password": "password"})
        assert r.status_code == 302
        assert self.client.get("/projects/").status_code == 200
        r = self.client.post("/accounts/logout/")
        assert r.status_code == 302
        assert self.client.get("/projects/").status_code == 302

    def test_it_changes_the_password_with_validation(self) -> None:
        self.client.force_login(self.alice)
        r = self.client.post(
            "/accounts/password/",
            {"old_password": "password", "new_password1": "123", "new_password2": "123"},
        )
        assert r.status_code == 200  # too short, entirely numeric: refused
        r = self.client.post(
            "/accounts/password/",
            {
                "old_password": "password",
                "new_password1": "a sturdy new passphrase",
                "new_password2": "a sturdy new passphrase",
            },
        )
        assert r.status_code == 302, r.context["form"].errors
        assert User.objects.get(username="alice").check_password("a sturdy new passphrase")
