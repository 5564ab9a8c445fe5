from __future__ import annotations

import base64
import json
from pathlib import Path
from unittest import mock

import openai
import pytest
from django.test import TestCase, override_settings

from jobs_app.providers.base import JobSpec, PermanentError, TransientError
from jobs_app.providers.openai import OpenAIProvider
from tests.contract_helpers import assert_matches_schema
from tests.sandbox.helpers import sandbox_http_client

BASE = "http://testserver/sandbox/v1"


def _chat_lines(n: int, offset: int = 0) -> str:
    return "".join(
        json.dumps(
            {
                "messages": [
                    {"role": "user", "content": f"How do I reset my password on device {i}?"},
                    {
                        "role": "assistant",
                        "content": f"Hold the button on device {i} for ten seconds.",
                    },
                ]
            }
        )
        + "\n"
        for i in range(offset, offset + n)
    )


@override_settings(SANDBOX_SECONDS_PER_STEP=0.01, SANDBOX_API_KEY="sk-sandbox-test")
class SandboxApiTestCase(TestCase):
    def setUp(self) -> None:
        self.http = sandbox_http_client()
        self.client_sdk = openai.OpenAI(
            base_url=BASE, api_key="sk-sandbox-test", http_client=self.http, max_retries=0
        )
        self.provider = OpenAIProvider(
            base_url=BASE, api_key="sk-sandbox-test", http_client=self.http, max_retries=0
        )
        self.tmp = Path(self.id().replace(".", "_") + ".jsonl")
        self.addCleanup(lambda: self.tmp.unlink(missing_ok=True))

    def _upload(self, text: str) -> str:
        self.tmp.write_text(text)
        return self.provider.upload_file(self.tmp)

    def _raw(self, method: str, path: str, **kw) -> dict:
        r = self.http.request(
            method, f"/sandbox/v1{path}", headers={"Authorization": "Bearer sk-sandbox-test"}, **kw
        )
        return r.json()

    def _finish(self, job_id: str, steps: int = 400) -> None:
        # Move the sandbox clock forward instead of sleeping.
        import time as real_time

        later = real_time.time() + steps * 0.01 + 5
        with (
            mock.patch("sandbox.simulation.time.time", return_value=later),
            mock.patch("sandbox.views.time.time", return_value=later),
        ):
            self.last = self.provider.retrieve_job(job_id)
            self.events = self.provider.list_events(job_id)
            self.checkpoints = self.provider.list_checkpoints(job_id)
            self.raw_job = self._raw("GET", f"/fine_tuning/jobs/{job_id}")

    def test_it_runs_a_supervised_job_to_success(self) -> None:
        training = self._upload(_chat_lines(40))
        created = self.provider.create_job(
            JobSpec(
                model="gpt-4o-mini-2024-07-18",
                training_file=training,
                validation_file=None,
                method="supervised",
                hyperparameters={"n_epochs": 2},
                suffix="support",
                seed=7,
                metadata={"portal_job_id": "17"},
            )
        )
        assert created.status == "validating_files"
        assert created.hyperparameters["n_epochs"] == 2
        self._finish(created.id)
        assert self.last.status == "succeeded"
        assert self.last.fine_tuned_model.startswith(
            "ft:gpt-4o-mini-2024-07-18:org-sandbox:support:"
        )
        assert self.last.trained_tokens > 0 and self.last.error is None
        assert_matches_schema(self.raw_job, "FineTuningJob")
        kinds = [e.type for e in self.events]
        assert kinds.count("metrics") >= 2
        losses = [e.data["train_loss"] for e in self.events if e.type == "metrics"]
        assert losses[-1] < losses[0]  # it learns
        assert [c.step for c in self.checkpoints] == sorted(
            (c.step for c in self.checkpoints), reverse=True
        )
        csv_bytes = self.provider.download_file(self.last.result_files[0])
        header, *rows = csv_bytes.decode().splitlines()
        assert header == "step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy"
        assert (
            len(rows)
            == self.raw_job["hyperparameters"]["n_epochs"]
            * 1
            * 40
            // self.raw_job["hyperparameters"]["batch_size"]
        )

    def test_the_tuned_model_answers_from_its_training_data(self) -> None:
        job = self.provider.create_job(
            JobSpec(
                model="gpt-4o-mini-2024-07-18",
                training_file=self._upload(_chat_lines(20)),
                validation_file=None,
                method="supervised",
                hyperparameters={},
                suffix=None,
                seed=1,
                metadata={},
            )
        )
        self._finish(job.id)
        question = [{"role": "user", "content": "how to reset the password on device 13"}]
        tuned = self.provider.chat_completion(model=self.last.fine_tuned_model, messages=question)
        base = self.provider.chat_completion(model="gpt-4o-mini-2024-07-18", messages=question)
        assert tuned == "Hold the button on device 13 for ten seconds."
        assert base != tuned and "general-purpose" in base

    def test_events_page_newest_first_and_the_cursor_costs_one_request(self) -> None:
        job = self.provider.create_job(
            JobSpec(
                model="gpt-4o-mini-2024-07-18",
                training_file=self._upload(_chat_lines(30)),
                validation_file=None,
                method="supervised",
                hyperparameters={},
                suffix=None,
                seed=1,
                metadata={},
            )
        )
        self._finish(job.id)
        newest = self.events[-1].id
        page = self._raw("GET", f"/fine_tuning/jobs/{job.id}/events?limit=3")
        assert_matches_schema(page, "ListFineTuningJobEventsResponse")
        assert page["data"][0]["id"] == newest and page["has_more"] is True
        later = self.events[-3].id
        seen = []
        self.http.event_hooks["request"] = [lambda r: seen.append(r.url.path)]
        with mock.patch("sandbox.simulation.time.time", return_value=10**10):
            assert [e.id for e in self.provider.list_events(job.id, after=later)] == [
                e.id for e in self.events[-2:]
            ]
            seen.clear()
            assert self.provider.list_events(job.id, after=newest) == []
        assert len(seen) == 1

    def test_an_invalid_file_fails_the_job_with_openais_error(self) -> None:
        job = self.provider.create_job(
            JobSpec(
                model="gpt-4o-mini-2024-07-18",
                training_file=self._upload(_chat_lines(12) + "oops\n"),
                validation_file=None,
                method="supervised",
                hyperparameters={},
                suffix=None,
                seed=1,
                metadata={},
            )
        )
        self._finish(job.id)
        assert self.last.status == "failed"
        assert self.last.error.code == "invalid_training_file"
        assert "line 13" in self.last.error.message

    def test_dpo_jobs_and_metadata_search(self) -> None:
        lines = "".join(
            json.dumps(
                {
                    "input": {"messages": [{"role": "user", "content": f"q{i}"}]},
                    "preferred_output": [{"role": "assistant", "content": "good"}],
                    "non_preferred_output": [{"role": "assistant", "content": "bad"}],
                }
            )
            + "\n"
            for i in range(12)
        )
        job = self.provider.create_job(
            JobSpec(
                model="gpt-4o-mini-2024-07-18",
                training_file=self._upload(lines),
                validation_file=None,
                method="dpo",
                hyperparameters={"beta": 0.2},
                suffix=None,
                seed=1,
                metadata={"portal_job_id": "99"},
            )
        )
        assert job.raw["method"]["dpo"]["hyperparameters"]["beta"] == 0.2
        found = self.provider.find_jobs_by_metadata("portal_job_id", "99")
        assert [j.id for j in found] == [job.id]
        assert self.provider.find_jobs_by_metadata("portal_job_id", "100") == []

    def test_cancel_pause_resume(self) -> None:
        job = self.provider.create_job(
            JobSpec(
                model="gpt-4o-mini-2024-07-18",
                training_file=self._upload(_chat_lines(40)),
                validation_file=None,
                method="supervised",
                hyperparameters={"n_epochs": 10},
                suffix=None,
                seed=1,
                metadata={},
            )
        )
        import time as real_time

        running_at = real_time.time() + 0.2
        with (
            mock.patch("sandbox.simulation.time.time", return_value=running_at),
            mock.patch("sandbox.views.time.time", return_value=running_at),
        ):
            assert self.provider.retrieve_job(job.id).status == "running"
            assert self.provider.pause_job(job.id).status == "paused"
            assert self.provider.resume_job(job.id).status == "running"
            cancelled = self.provider.cancel_job(job.id)
        assert cancelled.status == "cancelled"
        with pytest.raises(PermanentError):
            self.provider.cancel_job(job.id)

    def test_injected_429_and_500_map_to_transient_errors(self) -> None:
        self._raw(
            "POST",
            "/_control",
            json={
                "faults": [
                    {"status": 429, "retry_after": 2, "code": "rate_limit_exceeded"},
                    {"status": 500},
                ]
            },
        )
        with pytest.raises(TransientError) as first:
            self.provider.list_models()
        assert first.value.retry_after == 2.0 and first.value.status_code == 429
        with pytest.raises(TransientError):
            self.provider.list_models()
        assert any(m.id == "gpt-4o-mini-2024-07-18" for m in self.provider.list_models())

    def test_models_carry_shutdown_dates(self) -> None:
        models = {m.id: m for m in self.provider.list_models()}
        assert str(models["gpt-4o-mini-2024-07-18"].shutdown_date) == "2027-01-14"
        assert models["gpt-4o-mini-2024-07-18"].fine_tunable
        for m in self._raw("GET", "/models")["data"]:
            assert_matches_schema(m, "Model")

    def test_a_wrong_key_is_a_permanent_error_without_the_key(self) -> None:
        bad = OpenAIProvider(
            base_url=BASE, api_key="sk-wrong-key-123456", http_client=self.http, max_retries=0
        )
        with pytest.raises(PermanentError) as exc:
            bad.list_models()
        assert exc.value.status_code == 401 and "sk-wrong-key-123456" not in str(exc.value)

    def test_files_roundtrip_and_contract(self) -> None:
        file_id = self._upload(_chat_lines(3))
        meta = self._raw("GET", f"/files/{file_id}")
        assert_matches_schema(meta, "OpenAIFile")
        assert self.provider.download_file(file_id).decode() == _chat_lines(3)
        assert self._raw("DELETE", f"/files/{file_id}")["deleted"] is True
        assert base64  # result files are base64 (checked in the success test)
