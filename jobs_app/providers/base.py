"""The provider seam: one small interface every fine-tuning provider implements.

Everything the portal needs from a provider goes through `Provider`; the rest
of the code never sees an SDK object. Errors are split in two, as healthchecks
does for transports: a `TransientError` is worth retrying later (rate limits,
timeouts, 5xx), a `PermanentError` is not (bad request, auth, quota).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

TERMINAL_PROVIDER_STATUSES = ("succeeded", "failed", "cancelled")


class ProviderError(Exception):
    """Base of provider errors; the message is safe to show (it never holds a secret)."""

    def __init__(
        self,
        message: str,
        *,
        code: str = "",
        param: str = "",
        status_code: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.param = param
        self.status_code = status_code


class TransientError(ProviderError):
    """Retry later: 408, 429 rate_limit_exceeded, 5xx, timeouts, connection errors."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class PermanentError(ProviderError):
    """Do not retry: 400, 401, 403, 404, 429 insufficient_quota."""


class AmbiguousCreateError(TransientError):
    """The create call may or may not have reached the provider (timeout, 5xx)."""


@dataclass
class ProviderJobError:
    code: str
    message: str
    param: str = ""


@dataclass
class ProviderJob:
    id: str
    status: str  # verbatim; only TERMINAL_PROVIDER_STATUSES are final
    model: str
    fine_tuned_model: str | None = None
    trained_tokens: int | None = None
    estimated_finish: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    error: ProviderJobError | None = None  # None also when the API sends "error": {}
    training_file: str = ""
    validation_file: str | None = None
    result_files: list[str] = field(default_factory=list)
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, str] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)  # everything, unknown fields included

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_PROVIDER_STATUSES


@dataclass
class ProviderEvent:
    id: str
    created_at: dt.datetime
    level: str
    message: str
    type: str = "message"
    data: dict[str, Any] | None = None


@dataclass
class ProviderCheckpoint:
    id: str
    step: int
    fine_tuned_model_checkpoint: str
    metrics: dict[str, Any]
    created_at: dt.datetime


@dataclass
class ProviderModel:
    id: str
    owned_by: str = ""
    created: dt.datetime | None = None
    shutdown_date: dt.date | None = None
    fine_tunable: bool = False


@dataclass
class JobSpec:
    """What the portal asks a provider to create."""

    model: str
    training_file: str
    validation_file: str | None
    method: str  # "supervised" or "dpo"
    hyperparameters: dict[str, Any]  # values or "auto"; n_epochs, batch_size, lr multiplier, beta
    suffix: str | None
    seed: int | None
    metadata: dict[str, str]


class Provider(Protocol):
    def list_models(self) -> list[ProviderModel]: ...

    def upload_file(self, path: Path, *, purpose: str = "fine-tune") -> str: ...

    def download_file(self, file_id: str) -> bytes: ...

    def create_job(self, spec: JobSpec) -> ProviderJob:
        """Create exactly one job; never retried inside (raises AmbiguousCreateError)."""
        ...

    def find_jobs_by_metadata(self, key: str, value: str) -> list[ProviderJob]: ...

    def retrieve_job(self, job_id: str) -> ProviderJob: ...

    def cancel_job(self, job_id: str) -> ProviderJob: ...

    def pause_job(self, job_id: str) -> ProviderJob: ...

    def resume_job(self, job_id: str) -> ProviderJob: ...

    def list_events(self, job_id: str, *, after: str | None = None) -> list[ProviderEvent]:
        """Events newer than `after`, oldest first (the API pages newest first)."""
        ...

    def list_checkpoints(self, job_id: str) -> list[ProviderCheckpoint]: ...

    def chat_completion(
        self, *, model: str, messages: list[dict[str, Any]], max_tokens: int = 512
    ) -> str: ...
