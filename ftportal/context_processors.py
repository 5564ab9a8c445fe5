from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from ftportal.roles import Role, role_of, user_can


def navigation(request: HttpRequest) -> dict[str, object]:
    """Navigation flags, lazy so that HTMX fragments which never show them cost no queries."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    labels = {role.value: role.label for role in Role}
    return {
        "nav_role": SimpleLazyObject(lambda: labels.get(role_of(user) or "", "No role")),
        "nav_can_jobs": SimpleLazyObject(lambda: user_can(user, "manage_jobs")),
        "nav_can_dashboard": SimpleLazyObject(lambda: user_can(user, "view_dashboard")),
        "nav_is_admin": SimpleLazyObject(lambda: user_can(user, "manage_users")),
    }
