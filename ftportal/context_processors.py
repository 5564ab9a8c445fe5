from __future__ import annotations

from django.http import HttpRequest

from ftportal.roles import role_of, user_can


def navigation(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "nav_role": {
            "domain_expert": "Domain expert",
            "team_lead": "Team lead",
            "admin": "Admin",
        }.get(role_of(user) or "", "No role"),
        "nav_can_jobs": user_can(user, "manage_jobs"),
        "nav_can_dashboard": user_can(user, "view_dashboard"),
        "nav_is_admin": user_can(user, "manage_users"),
    }
