"""Create the demo organisation once: three users, three projects, the sandbox credential.

Idempotent: a second run finds everything in place and changes nothing, so
`make run` can call it on every start.
"""

from __future__ import annotations

import os
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.management.base import BaseCommand
from django.db import transaction

from ftportal.lib.crypto import encrypt_secret, last4
from ftportal.models import Organization, Project
from ftportal.roles import Role, user_set_role
from ftportal.services import project_create
from ftportal.use_cases import UseCaseKey
from jobs_app.models import ProjectProvider, ProviderCredential

DEMO_USERS = [
    ("admin", "Ada", "Admin", Role.ADMIN, "DEMO_ADMIN_PASSWORD"),
    ("lead", "Lee", "Lead", Role.TEAM_LEAD, "DEMO_LEAD_PASSWORD"),
    ("expert", "Eve", "Expert", Role.DOMAIN_EXPERT, "DEMO_EXPERT_PASSWORD"),
]
DEMO_PROJECTS = [
    (
        "Customer support",
        "customer-support",
        UseCaseKey.SUPPORT,
        "Answers to customer questions from the support FAQ.",
    ),
    (
        "Legal documents",
        "legal-documents",
        UseCaseKey.LEGAL,
        "Questions about contract clauses, answered from the clause text.",
    ),
    (
        "Product recommendations",
        "product-recommendations",
        UseCaseKey.RECOMMENDATIONS,
        "Recommendations from customer profiles and purchase history.",
    ),
]


class Command(BaseCommand):
    help = "Create the demo organisation (users, projects, sandbox credential) if missing."

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        Organization.get_solo()
        created_passwords: list[tuple[str, str, str]] = []
        users: dict[str, User] = {}
        for username, first, last, role, env_name in DEMO_USERS:
            user = User.objects.filter(username=username).first()
            if user is None:
                password = os.environ.get(env_name) or secrets.token_urlsafe(12)
                user = User.objects.create_user(
                    username=username,
                    password=password,
                    first_name=first,
                    last_name=last,
                    email=f"{username}@example.invalid",
                )
                user_set_role(user=user, role=role)
                if not os.environ.get(env_name):
                    created_passwords.append((username, role.label, password))
            users[username] = user

        credential = ProviderCredential.objects.filter(kind=ProviderCredential.Kind.SANDBOX).first()
        if credential is None and settings.SANDBOX_ENABLED:
            credential = ProviderCredential.objects.create(
                name="Sandbox",
                kind=ProviderCredential.Kind.SANDBOX,
                base_url=settings.SANDBOX_BASE_URL,
                secret_encrypted=encrypt_secret(settings.SANDBOX_API_KEY),
                secret_last4=last4(settings.SANDBOX_API_KEY),
            )

        for name, slug, use_case, description in DEMO_PROJECTS:
            project = Project.objects.filter(slug=slug).first()
            if project is None:
                project = project_create(
                    name=name,
                    slug=slug,
                    use_case=use_case,
                    description=description,
                    members=[users["lead"], users["expert"]],
                )
            if credential is not None:
                ProjectProvider.objects.get_or_create(
                    project=project, defaults={"credential": credential}
                )

        if created_passwords:
            self.stdout.write("Demo users created. Their passwords are shown this once:")
            for username, label, password in created_passwords:
                self.stdout.write(f"  {label:<14} username: {username:<8} password: {password}")
        else:
            self.stdout.write("Demo organisation already in place.")
