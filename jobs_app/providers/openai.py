"""The OpenAI provider: the only module that imports the `openai` SDK.

It serves OpenAI itself, Azure OpenAI, any OpenAI-compatible endpoint and the
built-in sandbox, which is reached over HTTP like the others.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import logging
import re
from pathlib import Path
from typing import Any

import httpx2
import openai

from jobs_app.providers.base import (
    AmbiguousCreateError,
    JobSpec,
    PermanentError,
    ProviderCheckpoint,
    ProviderError,
    ProviderEvent,
    ProviderJob,
    ProviderJobError,
    ProviderModel,
    TransientError,
)

logger = logging.getLogger(__name__)
FINE_TUNABLE_PREFIXES = (
    "gpt-4o-mini-2024-07-18",
    "gpt-4o-2024-08-06",
    "gpt-4.1-2025-04-14",
    "gpt-4.1-mini-2025-04-14",
    "gpt-4.1-nano-2025-04-14",
    "gpt-3.5-turbo-0125",
    "gpt-3.5-turbo-1106",
    "ft:",
)
_KEYLIKE = re.compile(r"(sk-[A-Za-z0-9_\-]{4})[A-Za-z0-9_\-]+")
EVENTS_PAGE = 100


def _scrub(text: str) -> str:
    """Provider messages can echo the key ("Incorrect API key provided: sk-ab...")."""
    return _KEYLIKE.sub(r"\1…", text)


def _retry_after(headers: Any) -> float | None:
    if headers is None:
        return None
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return float(ms) / 1000
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value:
        try:
            return float(value)
        except ValueError:
            return None
    return None


def map_error(exc: Exception) -> ProviderError:
    """SDK errors to the seam's transient/permanent split, with a plain, key-free message."""
    if isinstance(exc, openai.APITimeoutError):
        return TransientError("The provider did not answer in time.", code="timeout")
    if isinstance(exc, openai.APIConnectionError):
        return TransientError("The provider could not be reached.", code="connection_error")
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        body = exc.body if isinstance(exc.body, dict) else {}
        err = body.get("error", body) if isinstance(body, dict) else {}
        err = err if isinstance(err, dict) else {}
        code = str(err.get("code") or "")
        message = _scrub(str(err.get("message") or exc.message or f"HTTP {status}"))
        param = str(err.get("param") or "")
        kw = {"code": code, "param": param, "status_code": status}
        if status == 429 and code != "insufficient_quota":
            return TransientError(message, retry_after=_retry_after(exc.response.headers), **kw)
        if status in (408, 409) or status >= 500:
            return TransientError(message, retry_after=_retry_after(exc.response.headers), **kw)
        return PermanentError(message, **kw)
    return PermanentError(_scrub(str(exc)) or type(exc).__name__, code="unexpected")


def _ts(value: Any) -> dt.datetime | None:
    if value in (None, ""):
        return None
    return dt.datetime.fromtimestamp(int(value), tz=dt.UTC)


def _job(obj: Any) -> ProviderJob:
    raw = obj.model_dump() if hasattr(obj, "model_dump") else dict(obj)
    error = raw.get("error") or None
    job_error = None
    # A healthy job may carry "error": {} or an error with no code: not a failure.
    if isinstance(error, dict) and (error.get("code") or error.get("message")):
        job_error = ProviderJobError(
            code=str(error.get("code") or ""),
            message=str(error.get("message") or ""),
            param=str(error.get("param") or ""),
        )
    return ProviderJob(
        id=raw["id"],
        status=str(raw.get("status") or ""),
        model=str(raw.get("model") or ""),
        fine_tuned_model=raw.get("fine_tuned_model"),
        trained_tokens=raw.get("trained_tokens"),
        estimated_finish=_ts(raw.get("estimated_finish")),
        finished_at=_ts(raw.get("finished_at")),
        error=job_error,
        training_file=str(raw.get("training_file") or ""),
        validation_file=raw.get("validation_file"),
        result_files=list(raw.get("result_files") or []),
        hyperparameters=dict(raw.get("hyperparameters") or {}),
        metadata=dict(raw.get("metadata") or {}),
        raw=raw,
    )


def check_hyperparameters(method: str, hp: dict[str, Any]) -> dict[str, Any]:
    """OpenAI's ranges; each value may be "auto"."""
    ranges = {"n_epochs": (1, 50, int), "batch_size": (1, 256, int)}
    out: dict[str, Any] = {}
    for key, value in hp.items():
        if value in (None, "", "auto"):
            out[key] = "auto"
            continue
        if key in ranges:
            low, high, kind = ranges[key]
            if not isinstance(value, kind) or isinstance(value, bool) or not low <= value <= high:
                raise PermanentError(
                    f"{key} must be auto or a whole number from {low} to {high}.",
                    code="invalid_hyperparameter",
                    param=key,
                )
        elif key == "learning_rate_multiplier":
            if not isinstance(value, int | float) or value <= 0:
                raise PermanentError(
                    "learning_rate_multiplier must be auto or above 0.",
                    code="invalid_hyperparameter",
                    param=key,
                )
        elif key == "beta":
            if method != "dpo":
                raise PermanentError(
                    "beta applies only to DPO.", param=key, code="invalid_hyperparameter"
                )
            if not isinstance(value, int | float) or not 0 < value <= 2:
                raise PermanentError(
                    "beta must be auto or above 0 and at most 2.",
                    code="invalid_hyperparameter",
                    param=key,
                )
        else:
            raise PermanentError(
                f"Unknown hyperparameter {key}.", param=key, code="invalid_hyperparameter"
            )
        out[key] = value
    return out


class OpenAIProvider:
    """Implements jobs_app.providers.base.Provider with the official SDK."""

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str | None = None,
        organization: str | None = None,
        project: str | None = None,
        azure_endpoint: str | None = None,
        api_version: str | None = None,
        timeout: float = 30.0,
        max_retries: int = 0,
        http_client: httpx2.Client | None = None,
    ) -> None:
        kwargs: dict[str, Any] = {
            "api_key": api_key,
            "timeout": timeout,
            "max_retries": max_retries,
        }
        if http_client is not None:
            kwargs["http_client"] = http_client
        if azure_endpoint:
            self.client: Any = openai.AzureOpenAI(
                azure_endpoint=azure_endpoint, api_version=api_version, **kwargs
            )
        else:
            self.client = openai.OpenAI(
                base_url=base_url or None,
                organization=organization or None,
                project=project or None,
                **kwargs,
            )

    def _call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except openai.OpenAIError as exc:
            raise map_error(exc) from None
        except httpx2.HTTPError as exc:
            raise TransientError(f"Network error: {type(exc).__name__}", code="network") from None

    def list_models(self) -> list[ProviderModel]:
        page = self._call(self.client.models.list)
        out = []
        for m in page.data:
            raw = m.model_dump()
            shutdown = raw.get("shutdown_date")
            date = None
            if isinstance(shutdown, str) and shutdown:
                date = dt.date.fromisoformat(shutdown[:10])
            elif isinstance(shutdown, int | float):
                date = dt.datetime.fromtimestamp(shutdown, tz=dt.UTC).date()
            out.append(
                ProviderModel(
                    id=m.id,
                    owned_by=raw.get("owned_by") or "",
                    created=_ts(raw.get("created")),
                    shutdown_date=date,
                    fine_tunable=m.id.startswith(FINE_TUNABLE_PREFIXES),
                )
            )
        return out

    def upload_file(self, path: Path, *, purpose: str = "fine-tune") -> str:
        with path.open("rb") as fh:  # streamed by the SDK, never read whole here
            return str(
                self._call(self.client.files.create, file=(path.name, fh), purpose=purpose).id
            )

    def download_file(self, file_id: str) -> bytes:
        data = self._call(self.client.files.content, file_id).read()
        stripped = data.strip()
        # OpenAI serves result files base64-encoded; other endpoints send raw CSV.
        if stripped and b"," not in stripped[:200]:
            try:
                return base64.b64decode(stripped, validate=True)
            except (binascii.Error, ValueError):
                pass
        return data

    def create_job(self, spec: JobSpec) -> ProviderJob:
        hp = check_hyperparameters(spec.method, spec.hyperparameters)
        if spec.suffix is not None and not 1 <= len(spec.suffix) <= 64:
            raise PermanentError("suffix must be 1 to 64 characters.", param="suffix")
        body: dict[str, Any] = {
            "model": spec.model,
            "training_file": spec.training_file,
            "method": {"type": spec.method, spec.method: {"hyperparameters": hp}},
            "metadata": spec.metadata,
        }
        if spec.validation_file:
            body["validation_file"] = spec.validation_file
        if spec.suffix:
            body["suffix"] = spec.suffix
        if spec.seed is not None:
            body["seed"] = spec.seed
        # The SDK retries POSTs without an idempotency key: a retried create
        # could make a second job. Retries are ours, after a metadata search.
        client = self.client.with_options(max_retries=0)
        try:
            return _job(client.fine_tuning.jobs.create(**body))
        except (openai.APITimeoutError, openai.APIConnectionError) as exc:
            raise AmbiguousCreateError(map_error(exc).message, code="ambiguous") from None
        except openai.APIStatusError as exc:
            mapped = map_error(exc)
            if isinstance(mapped, TransientError) and exc.status_code >= 500:
                raise AmbiguousCreateError(
                    mapped.message,
                    code=mapped.code,
                    status_code=exc.status_code,
                    retry_after=mapped.retry_after,
                ) from None
            raise mapped from None
        except httpx2.HTTPError as exc:
            raise AmbiguousCreateError(f"Network error: {type(exc).__name__}") from None

    def find_jobs_by_metadata(self, key: str, value: str) -> list[ProviderJob]:
        page = self._call(self.client.fine_tuning.jobs.list, metadata={key: value}, limit=20)
        return [_job(j) for j in page.data if (j.metadata or {}).get(key) == value]

    def retrieve_job(self, job_id: str) -> ProviderJob:
        return _job(self._call(self.client.fine_tuning.jobs.retrieve, job_id))

    def cancel_job(self, job_id: str) -> ProviderJob:
        return _job(self._call(self.client.fine_tuning.jobs.cancel, job_id))

    def pause_job(self, job_id: str) -> ProviderJob:
        return _job(self._call(self.client.fine_tuning.jobs.pause, job_id))

    def resume_job(self, job_id: str) -> ProviderJob:
        return _job(self._call(self.client.fine_tuning.jobs.resume, job_id))

    def list_events(self, job_id: str, *, after: str | None = None) -> list[ProviderEvent]:
        """Events newer than `after`, oldest first; one request when nothing is new."""
        newer: list[ProviderEvent] = []
        cursor: str | None = None
        while True:
            kwargs: dict[str, Any] = {"limit": EVENTS_PAGE}
            if cursor:
                kwargs["after"] = cursor
            page = self._call(self.client.fine_tuning.jobs.list_events, job_id, **kwargs)
            items = list(page.data)
            for e in items:  # newest first
                if after is not None and e.id == after:
                    return list(reversed(newer))
                raw = e.model_dump()
                newer.append(
                    ProviderEvent(
                        id=e.id,
                        created_at=_ts(raw.get("created_at")),
                        level=raw.get("level") or "info",
                        message=raw.get("message") or "",
                        type=raw.get("type") or "message",
                        data=raw.get("data"),
                    )
                )
            if not items or not page.has_more:
                return list(reversed(newer))
            cursor = items[-1].id

    def list_checkpoints(self, job_id: str) -> list[ProviderCheckpoint]:
        page = self._call(self.client.fine_tuning.jobs.checkpoints.list, job_id, limit=100)
        return [
            ProviderCheckpoint(
                id=c.id,
                step=c.step_number,
                fine_tuned_model_checkpoint=c.fine_tuned_model_checkpoint,
                metrics=c.metrics.model_dump() if c.metrics else {},
                created_at=_ts(c.created_at),
            )
            for c in page.data
        ]

    def chat_completion(
        self, *, model: str, messages: list[dict[str, Any]], max_tokens: int = 512
    ) -> str:
        result = self._call(
            self.client.chat.completions.create,
            model=model,
            messages=messages,
            max_tokens=max_tokens,
        )
        return result.choices[0].message.content or ""
