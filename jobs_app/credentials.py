"""Provider credentials: stored encrypted, shown only as their last four characters."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from ftportal.audit import audit_log
from ftportal.lib.crypto import encrypt_secret, last4, reencrypt_secret
from ftportal.models import Project
from jobs_app.models import Job, ProjectProvider, ProviderCredential
from jobs_app.providers import ProviderError, provider_for

logger = logging.getLogger(__name__)


@transaction.atomic
def credential_create(
    *,
    name: str,
    kind: str,
    secret: str,
    base_url: str = "",
    organization: str = "",
    openai_project: str = "",
    api_version: str = "",
    user: Any = None,
) -> ProviderCredential:
    """Store a credential; the secret is encrypted before it reaches the database."""
    credential = ProviderCredential(
        name=name,
        kind=kind,
        base_url=base_url,
        organization=organization,
        openai_project=openai_project,
        api_version=api_version,
        secret_encrypted=encrypt_secret(secret),
        secret_last4=last4(secret),
        created_by=user,
    )
    credential.full_clean()
    credential.save()
    audit_log(actor=user, action="credential_created", target=credential, data={"kind": kind})
    logger.info("credential created credential_id=%s kind=%s", credential.id, kind)
    return credential


@transaction.atomic
def credential_update(
    *,
    credential: ProviderCredential,
    name: str,
    base_url: str,
    organization: str,
    openai_project: str,
    api_version: str,
) -> ProviderCredential:
    """Edit everything but the secret (rotate it with credential_rotate_secret)."""
    credential.name, credential.base_url = name, base_url
    credential.organization, credential.openai_project = organization, openai_project
    credential.api_version = api_version
    credential.full_clean()
    credential.save()
    audit_log(action="credential_updated", target=credential)
    logger.info("credential updated credential_id=%s", credential.id)
    return credential


@transaction.atomic
def credential_rotate_secret(*, credential: ProviderCredential, secret: str) -> None:
    """Replace the secret; running jobs pick up the new one on their next call."""
    credential.secret_encrypted = encrypt_secret(secret)
    credential.secret_last4 = last4(secret)
    credential.save(update_fields=["secret_encrypted", "secret_last4", "updated_at"])
    audit_log(action="credential_rotated", target=credential)
    logger.info("credential secret rotated credential_id=%s", credential.id)


@transaction.atomic
def credential_delete(*, credential: ProviderCredential) -> None:
    """Delete an unused credential; one a project or a job uses is refused."""
    if ProjectProvider.objects.filter(credential=credential).exists():
        raise ValidationError("A project uses this credential: choose another for it first.")
    if Job.objects.filter(credential=credential).exists():
        raise ValidationError("Jobs were run with this credential, so it is kept for their record.")
    logger.info("credential deleted credential_id=%s", credential.id)
    audit_log(action="credential_deleted", target=credential)
    credential.delete()


def credential_test(*, credential: ProviderCredential) -> tuple[list[Any], str]:
    """(fine-tunable models, "") when the provider answers, else ([], its error in plain words)."""
    try:
        models = provider_for(credential, timeout=15).list_models()
    except ProviderError as exc:
        logger.info("credential test failed credential_id=%s code=%s", credential.id, exc.code)
        audit_log(action="credential_tested", target=credential, data={"ok": False})
        return [], exc.message
    logger.info("credential test passed credential_id=%s", credential.id)
    audit_log(action="credential_tested", target=credential, data={"ok": True})
    return [m for m in models if m.fine_tunable], ""


@transaction.atomic
def project_set_credential(*, project: Project, credential: ProviderCredential) -> None:
    ProjectProvider.objects.update_or_create(project=project, defaults={"credential": credential})
    audit_log(action="project_credential_set", target=credential, project=project)
    logger.info("project credential set project_id=%s credential_id=%s", project.id, credential.id)


def credentials_reencrypt() -> int:
    """Re-encrypt every stored secret with the newest of ENCRYPTION_KEYS."""
    count = 0
    for credential in ProviderCredential.objects.select_for_update().iterator():
        credential.secret_encrypted = reencrypt_secret(credential.secret_encrypted)
        credential.save(update_fields=["secret_encrypted"])
        count += 1
    return count
