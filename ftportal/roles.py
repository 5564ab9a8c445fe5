"""The three roles, stored as Django groups with permissions.

The group names and their permissions are created by a data migration
(`ftportal/migrations/0002_roles.py`) from `ROLE_PERMISSIONS`, so that code,
migration and README stay one table.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, User
from django.db import models


class Role(models.TextChoices):
    DOMAIN_EXPERT = "domain_expert", "Domain expert"
    TEAM_LEAD = "team_lead", "Team lead"
    ADMIN = "admin", "Admin"


_EXPERT = ("manage_datasets",)
_LEAD = _EXPERT + ("manage_jobs", "view_dashboard", "manage_projects")
_ADMIN = _LEAD + ("manage_providers", "manage_budgets", "manage_users", "view_audit")

ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    Role.DOMAIN_EXPERT: _EXPERT,
    Role.TEAM_LEAD: _LEAD,
    Role.ADMIN: _ADMIN,
}

GROUP_NAMES: dict[str, str] = {role.value: role.label for role in Role}


def role_of(user: User) -> str | None:
    """The user's role, the highest if a user somehow holds several."""
    if not user.is_authenticated:
        return None
    if user.is_superuser:
        return Role.ADMIN
    names = {g.name for g in user.groups.all()}
    for role in (Role.ADMIN, Role.TEAM_LEAD, Role.DOMAIN_EXPERT):
        if role.label in names:
            return role
    return None


def user_can(user: User, perm: str) -> bool:
    return user.is_active and user.has_perm(f"ftportal.{perm}")


def is_admin(user: User) -> bool:
    return user_can(user, "manage_users")


def user_set_role(*, user: User, role: str) -> None:
    """Replace the user's role group; admins also get the Django admin, unrestricted."""
    groups = Group.objects.filter(name__in=GROUP_NAMES.values())
    user.groups.remove(*groups)
    user.groups.add(Group.objects.get(name=GROUP_NAMES[role]))
    user.is_staff = user.is_superuser = role == Role.ADMIN
    user.save(update_fields=["is_staff", "is_superuser"])
