from __future__ import annotations

from django.contrib.auth.models import User
from django.db.models import Count, QuerySet
from django.http import Http404

from ftportal.models import Project
from ftportal.roles import is_admin


def projects_for_user(*, user: User) -> QuerySet[Project]:
    """Projects the user may see: all for admins, their memberships otherwise."""
    qs = Project.objects.all()
    if not is_admin(user):
        qs = qs.filter(members=user)
    return qs.annotate(member_count=Count("members", distinct=True)).order_by("name")


def project_get_for_user(*, user: User, slug: str) -> Project:
    """The project, or 404 when it does not exist or the user is not a member."""
    qs = Project.objects.all()
    if not is_admin(user):
        qs = qs.filter(members=user)
    try:
        return qs.get(slug=slug)
    except Project.DoesNotExist:
        raise Http404("No such project") from None
