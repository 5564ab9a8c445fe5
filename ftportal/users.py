"""User administration: create or invite, role and projects, deactivate.

The last active admin can be neither demoted nor deactivated, so an
installation never locks itself out.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from ftportal.audit import audit_log
from ftportal.models import Organization, Project
from ftportal.roles import Role, role_of
from ftportal.roles import user_set_role as _set_role

logger = logging.getLogger(__name__)


def _active_admins() -> int:
    return sum(1 for u in User.objects.filter(is_active=True) if role_of(u) == Role.ADMIN)


def _guard_last_admin(user: User, *, new_role: str | None, active: bool) -> None:
    losing_admin = new_role != Role.ADMIN or not active
    is_admin = role_of(user) == Role.ADMIN and user.is_active
    if is_admin and losing_admin and _active_admins() <= 1:
        raise ValidationError("This is the last active admin: make another admin first.")


@transaction.atomic
def user_create(
    *,
    username: str,
    email: str,
    first_name: str,
    last_name: str,
    role: str,
    projects: list[Project],
    password: str | None,
    actor: Any,
    site_url: str,
) -> User:
    """Create a user with a password, or without one and invite them by email."""
    user = User(username=username, email=email, first_name=first_name, last_name=last_name)
    if password:
        validate_password(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    _set_role(user=user, role=role)
    user.projects.set(projects)
    audit_log(
        actor=actor,
        action="user_created",
        target=user,
        data={"role": role, "projects": [p.slug for p in projects], "invited": not password},
    )
    if not password:
        user_invite(user=user, site_url=site_url)
    return user


def user_invite(*, user: User, site_url: str) -> None:
    """Email a one-time link to set a password (Django's password-reset tokens)."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    link = site_url.rstrip("/") + reverse("password_reset_confirm", args=[uid, token])
    org = Organization.get_solo().name
    send_mail(
        subject=f"You are invited to the fine-tuning portal of {org}",
        message=(
            f"Hello {user.get_full_name() or user.username},\n\nyou have an account on the "
            f"fine-tuning portal (username: {user.username}). Choose your password here; "
            f"the link works once:\n\n{link}\n"
        ),
        from_email=None,
        recipient_list=[user.email],
    )
    logger.info("user invited user_id=%s", user.id)


@transaction.atomic
def user_update(
    *, user: User, role: str, projects: list[Project], is_active: bool, actor: Any
) -> User:
    """Change role, memberships and activity; effective on the user's next request."""
    User.objects.select_for_update().filter(is_staff=True)  # serialise admin changes
    _guard_last_admin(user, new_role=role, active=is_active)
    before = {"role": role_of(user), "active": user.is_active}
    _set_role(user=user, role=role)
    user.is_active = is_active
    user.save(update_fields=["is_active"])
    user.projects.set(projects)
    audit_log(
        actor=actor,
        action="user_updated",
        target=user,
        data={
            "role": role,
            "active": is_active,
            "before": before,
            "projects": [p.slug for p in projects],
        },
    )
    return user
