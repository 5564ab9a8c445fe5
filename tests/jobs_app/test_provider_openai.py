"""The OpenAI provider against scripted HTTP answers (httpx2.MockTransport): the error
table, retries off on create, tolerant parsing, and the request bodies against the spec."""

from __future__ import annotations

import base64
import json
import logging

import httpx2
import pytest

from jobs_app.providers.base import AmbiguousCreateError, JobSpec, PermanentError, TransientError
from jobs_app.providers.openai import OpenAIProvider
from tests.contract_helpers import assert_matches_schema

KEY = "sk-proj-SECRETSECRETSECRET1234"
JOB = {
    "object": "fine_tuning.job",
    "id": "ftjob-1",
    "model": "gpt-4o-mini-2024-07-18",
    "created_at": 1,
    "finished_at": None,
    "fine_tuned_model": None,
    "organization_id": "org",
    "result_files": [],
    "status": "pausing",
    "validation_file": None,
    "training_file": "file-1",
    "hyperparameters": {"n_epochs": 3},
    "trained_tokens": None,
    "error": {},
    "seed": 1,
    "some_future_field": {"kept": True},
}


def provider(handler, **kw) -> tuple[OpenAIProvider, list[httpx2.Request]]:
    seen: list[httpx2.Request] = []

    def record(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        return handler(request)

    client = httpx2.Client(transport=httpx2.MockTransport(record))
    return OpenAIProvider(
        api_key=KEY, base_url="https://api.example/v1", http_client=client, **kw
    ), seen


def error(status: int, code: str | None, message: str = "nope", headers=None):  # noqa: ANN001, ANN201
    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(
            status,
            headers=headers or {},
            json={"error": {"message": message, "type": "x", "param": None, "code": code}},
        )

    return handler


@pytest.mark.parametrize(
    ("status", "code", "kind"),
    [
        (400, "invalid_request_error", PermanentError),
        (401, "invalid_api_key", PermanentError),
        (403, None, PermanentError),
        (404, "not_found", PermanentError),
        (429, "insufficient_quota", PermanentError),
        (429, "rate_limit_exceeded", TransientError),
        (408, None, TransientError),
        (500, None, TransientError),
        (503, None, TransientError),
    ],
)
def test_http_errors_map_to_transient_or_permanent(status, code, kind):
    p, _ = provider(error(status, code, f"Incorrect API key provided: {KEY}"))
    with pytest.raises(kind) as exc:
        p.retrieve_job("ftjob-1")
    assert exc.value.status_code == status and exc.value.code == (code or "")
    assert KEY not in str(exc.value) and "SECRETSECRET" not in exc.value.message


def test_retry_after_headers_are_read():
    p, _ = provider(error(429, "rate_limit_exceeded", headers={"retry-after-ms": "1500"}))
    with pytest.raises(TransientError) as exc:
        p.list_models()
    assert exc.value.retry_after == 1.5
    p, _ = provider(error(429, "rate_limit_exceeded", headers={"retry-after": "7"}))
    with pytest.raises(TransientError) as exc:
        p.list_models()
    assert exc.value.retry_after == 7.0


def test_timeouts_and_connection_errors_are_transient():
    def timeout(request):  # noqa: ANN001, ANN202
        raise httpx2.ReadTimeout("slow", request=request)

    def refused(request):  # noqa: ANN001, ANN202
        raise httpx2.ConnectError("refused", request=request)

    for handler, code in ((timeout, "timeout"), (refused, "connection_error")):
        p, _ = provider(handler)
        with pytest.raises(TransientError) as exc:
            p.retrieve_job("ftjob-1")
        assert exc.value.code == code


def _spec(**kw) -> JobSpec:
    defaults = {
        "model": "gpt-4o-mini-2024-07-18",
        "training_file": "file-1",
        "validation_file": "file-2",
        "method": "supervised",
        "hyperparameters": {"n_epochs": 3, "batch_size": "auto", "learning_rate_multiplier": 0.5},
        "suffix": "support",
        "seed": 42,
        "metadata": {"portal_job_id": "7"},
    }
    return JobSpec(**{**defaults, **kw})


def test_create_sends_a_spec_conforming_body_once_even_on_500():
    p, seen = provider(error(500, None), max_retries=2)
    with pytest.raises(AmbiguousCreateError):
        p.create_job(_spec())
    assert len(seen) == 1  # the SDK did not retry the POST
    body = json.loads(seen[0].content)
    assert_matches_schema(body, "CreateFineTuningJobRequest")
    assert body["method"] == {
        "type": "supervised",
        "supervised": {
            "hyperparameters": {
                "n_epochs": 3,
                "batch_size": "auto",
                "learning_rate_multiplier": 0.5,
            }
        },
    }
    assert body["metadata"] == {"portal_job_id": "7"}


def test_create_timeout_is_ambiguous():
    def timeout(request):  # noqa: ANN001, ANN202
        raise httpx2.ReadTimeout("slow", request=request)

    p, seen = provider(timeout, max_retries=3)
    with pytest.raises(AmbiguousCreateError):
        p.create_job(_spec())
    assert len(seen) == 1


def test_dpo_body_and_hyperparameter_ranges():
    p, seen = provider(lambda r: httpx2.Response(200, json=JOB))
    p.create_job(_spec(method="dpo", hyperparameters={"beta": 0.5, "n_epochs": "auto"}))
    body = json.loads(seen[0].content)
    assert_matches_schema(body, "CreateFineTuningJobRequest")
    assert body["method"]["dpo"]["hyperparameters"] == {"beta": 0.5, "n_epochs": "auto"}
    for bad in (
        {"n_epochs": 51},
        {"batch_size": 0},
        {"learning_rate_multiplier": 0},
        {"beta": 2.5},
        {"n_epochs": True},
    ):
        with pytest.raises(PermanentError):
            p.create_job(_spec(method="dpo", hyperparameters=bad))
    with pytest.raises(PermanentError):
        p.create_job(_spec(hyperparameters={"beta": 0.1}))  # beta is DPO only
    with pytest.raises(PermanentError):
        p.create_job(_spec(suffix="x" * 65))
    assert len(seen) == 1


def test_parsing_is_tolerant():
    p, _ = provider(lambda r: httpx2.Response(200, json=JOB))
    job = p.retrieve_job("ftjob-1")
    assert job.status == "pausing" and not job.is_terminal
    assert job.error is None  # "error": {} on a healthy job is not a failure
    assert job.raw["some_future_field"] == {"kept": True}


def test_result_files_raw_or_base64():
    csv_text = b"step,train_loss\n1,0.5\n"
    for served in (csv_text, base64.b64encode(csv_text)):
        p, _ = provider(lambda r, served=served: httpx2.Response(200, content=served))
        assert p.download_file("file-9") == csv_text


def test_events_after_cursor_page_newest_first():
    events = [
        {
            "object": "fine_tuning.job.event",
            "id": f"e{i}",
            "created_at": i,
            "level": "info",
            "message": f"m{i}",
            "type": "message",
        }
        for i in range(250, 0, -1)
    ]

    def handler(request: httpx2.Request) -> httpx2.Response:
        after = request.url.params.get("after")
        start = next(i for i, e in enumerate(events) if e["id"] == after) + 1 if after else 0
        page = events[start : start + 100]
        return httpx2.Response(
            200, json={"object": "list", "data": page, "has_more": start + 100 < len(events)}
        )

    p, seen = provider(handler)
    assert [e.id for e in p.list_events("ftjob-1", after="e247")] == ["e248", "e249", "e250"]
    assert len(seen) == 1
    seen.clear()
    new = p.list_events("ftjob-1", after="e10")
    assert [e.id for e in new][:2] == ["e11", "e12"] and len(new) == 240 and len(seen) == 3
    assert len(p.list_events("ftjob-1")) == 250


def test_secrets_are_not_logged(caplog):
    caplog.set_level(logging.DEBUG)
    p, _ = provider(error(401, "invalid_api_key", f"Incorrect API key provided: {KEY}"))
    with pytest.raises(PermanentError):
        p.list_models()
    assert KEY not in caplog.text
