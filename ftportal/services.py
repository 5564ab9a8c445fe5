from __future__ import annotations

import logging

from django.contrib.auth.models import User
from django.db import transaction

from ftportal.audit import audit_log
from ftportal.models import Project
from ftportal.use_cases import use_case_for

logger = logging.getLogger(__name__)


@transaction.atomic
def project_create(
    *,
    name: str,
    slug: str,
    use_case: str,
    description: str = "",
    default_system_prompt: str = "",
    members: list[User] | None = None,
    created_by: User | None = None,
) -> Project:
    """Create a project; an empty system prompt takes the use case's default."""
    project = Project(
        name=name,
        slug=slug,
        use_case=use_case,
        description=description,
        default_system_prompt=default_system_prompt or use_case_for(use_case).default_system_prompt,
    )
    project.full_clean()
    project.save()
    member_set = set(members or [])
    if created_by is not None:
        member_set.add(created_by)
    project.members.set(member_set)
    audit_log(actor=created_by, action="project_created", target=project, project=project)
    logger.info("project created project_id=%s slug=%s", project.id, project.slug)
    return project


@transaction.atomic
def project_update(
    *,
    project: Project,
    name: str,
    use_case: str,
    description: str,
    default_system_prompt: str,
    members: list[User],
) -> Project:
    """Edit a project's fields and replace its member list."""
    project.name = name
    project.use_case = use_case
    project.description = description
    project.default_system_prompt = default_system_prompt
    project.full_clean()
    project.save()
    project.members.set(members)
    audit_log(
        action="project_updated",
        target=project,
        project=project,
        data={"members": sorted(u.username for u in members)},
    )
    logger.info("project updated project_id=%s", project.id)
    return project
