"""The sandbox's HTTP API: OpenAI's shapes, OpenAI's errors, OpenAI's paging."""

from __future__ import annotations

import functools
import json
import math
import secrets
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from sandbox import simulation as sim
from sandbox.models import SandboxFault, SandboxFile, SandboxJob

BASE_MODELS = [
    ("gpt-4o-mini-2024-07-18", 1721172741, "2027-01-14"),
    ("gpt-4o-2024-08-06", 1722814719, "2027-01-14"),
    ("gpt-4.1-2025-04-14", 1744316542, "2027-01-14"),
    ("gpt-4.1-mini-2025-04-14", 1744317547, "2027-01-14"),
    ("gpt-4.1-nano-2025-04-14", 1744321707, None),
    ("gpt-3.5-turbo-0125", 1706048358, None),
]
BASE_IDS = {m for m, _, _ in BASE_MODELS}
ORG = "org-sandbox"


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        type_: str = "invalid_request_error",
    ) -> None:
        self.status, self.message, self.code, self.param, self.type = (
            status,
            message,
            code,
            param,
            type_,
        )


def _error(
    status: int,
    message: str,
    code: str | None = None,
    param: str | None = None,
    type_: str = "invalid_request_error",
) -> JsonResponse:
    return JsonResponse(
        {"error": {"message": message, "type": type_, "param": param, "code": code}}, status=status
    )


def _take_fault(path: str) -> SandboxFault | None:
    with transaction.atomic():
        fault = SandboxFault.objects.select_for_update(skip_locked=True).order_by("id").first()
        if fault and fault.path_contains and fault.path_contains not in path:
            return None
        if fault:
            fault.delete()
        return fault


def api(view: Callable[..., Any]) -> Callable[..., HttpResponse]:
    @csrf_exempt
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        auth = request.headers.get("Authorization", "")
        if not secrets.compare_digest(auth, f"Bearer {settings.SANDBOX_API_KEY}"):
            return _error(401, "Incorrect API key provided.", code="invalid_api_key")
        fault = _take_fault(request.path)
        if fault is not None:
            if fault.latency_ms:
                time.sleep(fault.latency_ms / 1000)
            if fault.status:
                response = _error(
                    fault.status,
                    f"Sandbox fault injected ({fault.status}).",
                    code=fault.code or None,
                    type_="server_error" if fault.status >= 500 else "requests",
                )
                if fault.retry_after is not None:
                    response["Retry-After"] = str(fault.retry_after)
                return response
        try:
            result = view(request, *args, **kwargs)
        except ApiError as exc:
            return _error(exc.status, exc.message, exc.code, exc.param, exc.type)
        if isinstance(result, HttpResponse):
            return result
        return JsonResponse(result, safe=False)

    return wrapper


def _json_body(request: HttpRequest) -> dict[str, Any]:
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        raise ApiError(400, "We could not parse the JSON body of your request.") from None
    if not isinstance(body, dict):
        raise ApiError(400, "The request body must be a JSON object.")
    return body


# Files -------------------------------------------------------------------------------


def _file_json(f: SandboxFile) -> dict[str, Any]:
    return {
        "id": f.file_id,
        "object": "file",
        "bytes": f.bytes,
        "created_at": f.created_at,
        "filename": f.filename,
        "purpose": f.purpose,
        "status": "processed",
    }


def _get_file(file_id: str) -> SandboxFile:
    try:
        return SandboxFile.objects.get(file_id=file_id, deleted=False)
    except SandboxFile.DoesNotExist:
        raise ApiError(404, f"No such File object: {file_id}", param="id") from None


@api
def files(request: HttpRequest) -> Any:
    if request.method == "GET":
        data = [_file_json(f) for f in SandboxFile.objects.filter(deleted=False).order_by("-id")]
        return {
            "object": "list",
            "data": data,
            "has_more": False,
            "first_id": data[0]["id"] if data else None,
            "last_id": data[-1]["id"] if data else None,
        }
    if request.method != "POST":
        raise ApiError(405, "Method not allowed.")
    upload = request.FILES.get("file")
    purpose = request.POST.get("purpose", "")
    if upload is None:
        raise ApiError(400, "Missing required parameter: 'file'.", param="file")
    if purpose not in ("fine-tune", "assistants", "batch", "user_data", "evals", "vision"):
        raise ApiError(400, f"'{purpose}' is not a valid purpose.", param="purpose")
    f = SandboxFile(
        file_id=f"file-{secrets.token_hex(12)}",
        filename=upload.name or "upload",
        purpose=purpose,
        bytes=upload.size or 0,
        created_at=int(time.time()),
    )
    f.content.save(f.file_id, upload, save=False)
    f.save()
    return _file_json(f)


@api
def file_detail(request: HttpRequest, file_id: str) -> Any:
    f = _get_file(file_id)
    if request.method == "DELETE":
        f.deleted = True
        f.save(update_fields=["deleted"])
        return {"id": f.file_id, "object": "file", "deleted": True}
    return _file_json(f)


@api
def file_content(request: HttpRequest, file_id: str) -> HttpResponse:
    f = _get_file(file_id)
    with f.content.open("rb") as fh:
        return HttpResponse(fh.read(), content_type="application/octet-stream")


# Jobs --------------------------------------------------------------------------------


def _get_job(job_id: str, *, lock: bool = False) -> SandboxJob:
    qs = SandboxJob.objects.select_for_update() if lock else SandboxJob.objects
    try:
        return qs.get(job_id=job_id)
    except SandboxJob.DoesNotExist:
        raise ApiError(404, f"Could not find fine-tune: {job_id}", param="fine_tune_id") from None


def _settle(job: SandboxJob, state: sim.JobState) -> None:
    """The first request that sees a job finished records how it finished."""
    if job.status_override or not state.finished:
        return
    with transaction.atomic():
        job = SandboxJob.objects.select_for_update().get(pk=job.pk)
        if job.status_override:
            return
        job.status_override = state.status
        job.finished_at = sim.finish_time(job, state.elapsed_steps + sum(sim.PHASE_STEPS.values()))
        job.finished_at = min(job.finished_at, time.time())
        if state.status == "succeeded":
            suffix = f":{job.suffix}" if job.suffix else ""
            job.fine_tuned_model = f"ft:{job.model}:{ORG}{suffix}:{job.job_id[-8:]}"
            result = SandboxFile(
                file_id=f"file-{secrets.token_hex(12)}",
                filename="step_metrics.csv",
                purpose="fine-tune-results",
                bytes=0,
                created_at=int(job.finished_at),
            )
            content = sim.result_csv(job)
            result.bytes = len(content)
            result.content.save(result.file_id, ContentFile(content), save=False)
            result.save()
            job.result_file = result.file_id
        elif state.status == "failed":
            if job.invalid_reason or job.metadata.get("sandbox_fail") == "invalid_file":
                job.error = {
                    "code": "invalid_training_file",
                    "param": "training_file",
                    "message": job.invalid_reason or "Invalid file format.",
                }
            else:
                job.error = {
                    "code": "server_error",
                    "param": None,
                    "message": "The job failed due to an internal error during training.",
                }
        job.save()


def _job_json(job: SandboxJob) -> dict[str, Any]:
    state = sim.state_of(job)
    _settle(job, state)
    if state.finished and not job.status_override:
        job.refresh_from_db()
    status = job.status_override or state.status
    epochs = job.hyperparameters.get("n_epochs", 1)
    trained = job.tokens_per_epoch * epochs if status == "succeeded" else None
    if status in ("cancelled", "failed") and state.step:
        trained = int(job.tokens_per_epoch * epochs * state.step / max(1, job.total_steps))
    remaining = max(0, job.total_steps - state.step) + (
        4 if status in ("validating_files", "queued") else 0
    )
    estimated = None if state.finished else int(time.time() + remaining * sim.seconds_per_step())
    return {
        "object": "fine_tuning.job",
        "id": job.job_id,
        "model": job.model,
        "created_at": int(job.created_at),
        "finished_at": int(job.finished_at) if job.finished_at else None,
        "fine_tuned_model": job.fine_tuned_model or None,
        "organization_id": ORG,
        "result_files": [job.result_file] if job.result_file else [],
        "status": status,
        "validation_file": job.validation_file or None,
        "training_file": job.training_file,
        "hyperparameters": job.hyperparameters,
        "trained_tokens": trained,
        "error": job.error or None,
        "seed": job.seed,
        "estimated_finish": estimated,
        "integrations": [],
        "method": job.method,
        "metadata": job.metadata or None,
        "user_provided_suffix": job.suffix or None,
    }


def _resolve(value: Any, auto: Any) -> Any:
    return auto if value in (None, "auto") else value


def _create_job(request: HttpRequest) -> dict[str, Any]:
    body = _json_body(request)
    model = body.get("model")
    if model not in BASE_IDS and not str(model).startswith("ft:"):
        raise ApiError(
            400,
            f"Model {model} is not available for fine-tuning or does not exist.",
            param="model",
            code="model_not_available",
        )
    training = _get_file(str(body.get("training_file", "")))
    validation = body.get("validation_file")
    if validation:
        _get_file(validation)
    suffix = body.get("suffix") or ""
    if len(suffix) > 64:
        raise ApiError(400, "suffix must be at most 64 characters.", param="suffix")
    method = body.get("method") or {
        "type": "supervised",
        "supervised": {"hyperparameters": body.get("hyperparameters") or {}},
    }
    kind = method.get("type", "supervised")
    if kind not in ("supervised", "dpo"):
        raise ApiError(400, f"Unsupported method type {kind!r}.", param="method.type")
    hyper = dict((method.get(kind) or {}).get("hyperparameters") or {})
    metadata = body.get("metadata") or {}
    if not isinstance(metadata, dict) or len(metadata) > 16:
        raise ApiError(400, "metadata must be an object with at most 16 keys.", param="metadata")
    with training.content.open("rb") as fh:
        n, avg, _, invalid = sim.validate_training_file(fh.read(), kind)
    epochs = _resolve(hyper.get("n_epochs"), sim.default_epochs(n))
    batch = _resolve(hyper.get("batch_size"), max(1, min(256, round(n * 0.002)) or 1))
    resolved = {
        "n_epochs": epochs,
        "batch_size": batch,
        "learning_rate_multiplier": _resolve(hyper.get("learning_rate_multiplier"), 1.8),
    }
    if kind == "dpo":
        resolved["beta"] = _resolve(hyper.get("beta"), 0.1)
    steps = max(1, math.ceil(max(n, 1) / batch) * epochs)
    job = SandboxJob.objects.create(
        job_id=f"ftjob-{secrets.token_hex(12)}",
        model=model,
        training_file=training.file_id,
        validation_file=validation or "",
        method={"type": kind, kind: {"hyperparameters": resolved}},
        hyperparameters=resolved,
        suffix=suffix,
        seed=body.get("seed") or secrets.randbelow(2**31),
        metadata=metadata,
        created_at=time.time(),
        n_examples=n,
        tokens_per_epoch=int(avg * n),
        total_steps=steps,
        avg_tokens=avg or 50,
        invalid_reason=invalid,
    )
    return _job_json(job)


@api
def jobs(request: HttpRequest) -> Any:
    if request.method == "POST":
        return _create_job(request)
    qs = SandboxJob.objects.order_by("-created_at", "-id")
    for key, value in request.GET.items():
        if key.startswith("metadata[") and key.endswith("]"):
            qs = qs.filter(**{f"metadata__{key[9:-1]}": value})
    after = request.GET.get("after")
    if after:
        anchor = _get_job(after)
        qs = qs.filter(created_at__lte=anchor.created_at).exclude(pk=anchor.pk)
    limit = min(100, int(request.GET.get("limit", 20)))
    page = list(qs[: limit + 1])
    return {
        "object": "list",
        "data": [_job_json(j) for j in page[:limit]],
        "has_more": len(page) > limit,
    }


@api
def job_detail(request: HttpRequest, job_id: str) -> Any:
    return _job_json(_get_job(job_id))


@api
def job_action(request: HttpRequest, job_id: str, action: str) -> Any:
    if request.method != "POST":
        raise ApiError(405, "Method not allowed.")
    with transaction.atomic():
        job = _get_job(job_id, lock=True)
        state = sim.state_of(job)
        now = time.time()
        if state.finished or job.status_override:
            raise ApiError(400, f"Job {job_id} is already {job.status_override or state.status}.")
        if action == "cancel":
            job.status_override, job.finished_at = "cancelled", now
            if job.paused_at:
                job.paused_total += now - job.paused_at
                job.paused_at = None
        elif action == "pause":
            if state.status != "running":
                raise ApiError(400, "Only a running job can be paused.")
            job.paused_at = now
        elif action == "resume":
            if not job.paused_at:
                raise ApiError(400, "Only a paused job can be resumed.")
            job.paused_total += now - job.paused_at
            job.paused_at = None
        job.save()
    return _job_json(job)


@api
def job_events(request: HttpRequest, job_id: str) -> Any:
    job = _get_job(job_id)
    state = sim.state_of(job)
    _settle(job, state)
    job.refresh_from_db()
    events = list(reversed(sim.events_of(job, sim.state_of(job))))  # newest first, as OpenAI
    after = request.GET.get("after")
    if after:
        ids = [e["id"] for e in events]
        events = events[ids.index(after) + 1 :] if after in ids else []
    limit = min(1000, int(request.GET.get("limit", 20)))
    return {"object": "list", "data": events[:limit], "has_more": len(events) > limit}


@api
def job_checkpoints(request: HttpRequest, job_id: str) -> Any:
    job = _get_job(job_id)
    state = sim.state_of(job)
    data = []
    for step in reversed(sim.checkpoint_steps(job)):
        if step > state.step or state.status in ("validating_files", "queued"):
            continue
        m = sim.metrics_at(job, step)
        data.append(
            {
                "object": "fine_tuning.job.checkpoint",
                "id": f"ftckpt-{job.pk:06d}{step:07d}",
                "created_at": int(job.created_at + (4 + step) * sim.seconds_per_step()),
                "fine_tuned_model_checkpoint": f"ft:{job.model}:{ORG}:{job.suffix or 'sandbox'}:"
                f"{job.job_id[-8:]}:ckpt-step-{step}",
                "step_number": step,
                "fine_tuning_job_id": job.job_id,
                "metrics": {
                    "step": float(step),
                    "train_loss": m["train_loss"],
                    "train_mean_token_accuracy": m["train_mean_token_accuracy"],
                    "valid_loss": m["valid_loss"],
                    "valid_mean_token_accuracy": m["valid_mean_token_accuracy"],
                },
            }
        )
    return {
        "object": "list",
        "data": data,
        "has_more": False,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
    }


# Models and chat ---------------------------------------------------------------------


def _models() -> list[dict[str, Any]]:
    out = [
        {
            "id": m,
            "object": "model",
            "created": c,
            "owned_by": "system",
            **({"shutdown_date": s} if s else {}),
        }
        for m, c, s in BASE_MODELS
    ]
    for job in SandboxJob.objects.exclude(fine_tuned_model="").order_by("id"):
        shutdown = next((s for m, _, s in BASE_MODELS if m == job.model), None)
        out.append(
            {
                "id": job.fine_tuned_model,
                "object": "model",
                "created": int(job.finished_at or job.created_at),
                "owned_by": ORG,
                **({"shutdown_date": shutdown} if shutdown else {}),
            }
        )
    return out


@api
def models(request: HttpRequest) -> Any:
    return {"object": "list", "data": _models()}


@api
def model_detail(request: HttpRequest, model_id: str) -> Any:
    for m in _models():
        if m["id"] == model_id:
            return m
    raise ApiError(
        404, f"The model '{model_id}' does not exist", code="model_not_found", param="model"
    )


@api
def chat_completions(request: HttpRequest) -> Any:
    body = _json_body(request)
    model = body.get("model", "")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ApiError(400, "'messages' must be a non-empty array.", param="messages")
    question = " ".join(
        str(m.get("content") or "")
        for m in messages
        if isinstance(m, dict) and m.get("role") == "user"
    )
    job = SandboxJob.objects.filter(fine_tuned_model=model).first() if model else None
    if job is not None:
        training = SandboxFile.objects.get(file_id=job.training_file)
        with training.content.open("rb") as fh:
            _, _, pairs, _ = sim.validate_training_file(fh.read(), job.method.get("type", ""))
        answer = sim.closest_answer(question, pairs)
    elif model in BASE_IDS:
        answer = sim.generic_answer(question)
    else:
        raise ApiError(
            404, f"The model '{model}' does not exist", code="model_not_found", param="model"
        )
    prompt_tokens = max(1, len(question) // 4)
    completion_tokens = max(1, len(answer) // 4)
    return {
        "id": f"chatcmpl-{secrets.token_hex(12)}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "logprobs": None,
                "message": {"role": "assistant", "content": answer, "refusal": None},
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


@api
def control(request: HttpRequest) -> Any:
    """Script failures: {"faults": [{"status": 429, "retry_after": 2}, {"latency_ms": 300}]}."""
    body = _json_body(request)
    if body.get("reset"):
        SandboxFault.objects.all().delete()
    for f in body.get("faults", []):
        SandboxFault.objects.create(
            status=f.get("status", 0),
            retry_after=f.get("retry_after"),
            latency_ms=f.get("latency_ms", 0),
            code=f.get("code", ""),
            path_contains=f.get("path_contains", ""),
        )
    return {"pending_faults": SandboxFault.objects.count()}
