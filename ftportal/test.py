"""The shared base test case: alice owns a project, bob is an outsider."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.test import TestCase

from ftportal.models import Project
from ftportal.roles import Role, user_set_role
from ftportal.services import project_create
from ftportal.use_cases import UseCaseKey


def make_user(username: str, role: str | None, **kwargs: object) -> User:
    user = User.objects.create_user(
        username=username, password="password", email=f"{username}@example.org", **kwargs
    )
    if role is not None:
        user_set_role(user=user, role=role)
    return user


class BaseTestCase(TestCase):
    alice: User
    bob: User
    project: Project

    @classmethod
    def setUpTestData(cls) -> None:
        cls.alice = make_user("alice", Role.TEAM_LEAD)
        cls.bob = make_user("bob", Role.TEAM_LEAD)
        cls.project = project_create(
            name="Alice's support bot",
            slug="alice-support",
            use_case=UseCaseKey.SUPPORT,
            members=[cls.alice],
        )
        cls.other_project = project_create(
            name="Bob's legal bot", slug="bob-legal", use_case=UseCaseKey.LEGAL, members=[cls.bob]
        )
