"""Every kind of response the sandbox returns, and the requests the provider sends, against
OpenAI's published OpenAPI spec."""

from __future__ import annotations

import json
import time
from unittest import mock

from django.test import TestCase, override_settings

from tests.contract_helpers import assert_matches_schema
from tests.sandbox.helpers import sandbox_http_client

AUTH = {"Authorization": "Bearer sk-sandbox-test"}
LINES = "".join(
    json.dumps(
        {
            "messages": [
                {"role": "user", "content": f"q{i}"},
                {"role": "assistant", "content": f"a{i}"},
            ]
        }
    )
    + "\n"
    for i in range(12)
)


@override_settings(SANDBOX_SECONDS_PER_STEP=0.01, SANDBOX_API_KEY="sk-sandbox-test")
class SandboxContractTestCase(TestCase):
    def setUp(self) -> None:
        self.http = sandbox_http_client()

    def call(self, method: str, path: str, **kw):  # noqa: ANN003, ANN201
        return self.http.request(method, f"/sandbox/v1{path}", headers=AUTH, **kw)

    def test_every_endpoint_answers_in_the_specs_shapes(self) -> None:
        upload = self.call(
            "POST",
            "/files",
            files={"file": ("t.jsonl", LINES.encode())},
            data={"purpose": "fine-tune"},
        ).json()
        assert_matches_schema(upload, "OpenAIFile")
        assert_matches_schema(self.call("GET", "/files").json(), "ListFilesResponse")
        body = {
            "model": "gpt-4o-mini-2024-07-18",
            "training_file": upload["id"],
            "method": {"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 2}}},
            "metadata": {"portal_job_id": "1"},
            "suffix": "x",
        }
        assert_matches_schema(body, "CreateFineTuningJobRequest")
        job = self.call("POST", "/fine_tuning/jobs", json=body).json()
        assert_matches_schema(job, "FineTuningJob")
        listed = self.call("GET", "/fine_tuning/jobs", params={"metadata[portal_job_id]": "1"})
        assert_matches_schema(listed.json(), "ListPaginatedFineTuningJobsResponse")
        later = time.time() + 60
        with (
            mock.patch("sandbox.simulation.time.time", return_value=later),
            mock.patch("sandbox.views.time.time", return_value=later),
        ):
            done = self.call("GET", f"/fine_tuning/jobs/{job['id']}").json()
            assert done["status"] == "succeeded"
            assert_matches_schema(done, "FineTuningJob")
            events = self.call("GET", f"/fine_tuning/jobs/{job['id']}/events").json()
            assert_matches_schema(events, "ListFineTuningJobEventsResponse")
            checkpoints = self.call("GET", f"/fine_tuning/jobs/{job['id']}/checkpoints").json()
            assert checkpoints["data"]
            assert_matches_schema(checkpoints, "ListFineTuningJobCheckpointsResponse")
        assert_matches_schema(self.call("GET", "/models").json(), "ListModelsResponse")
        model = self.call("GET", f"/models/{done['fine_tuned_model']}").json()
        assert_matches_schema(model, "Model")
        chat_body = {
            "model": done["fine_tuned_model"],
            "messages": [{"role": "user", "content": "q3"}],
        }
        assert_matches_schema(chat_body, "CreateChatCompletionRequest")
        chat = self.call("POST", "/chat/completions", json=chat_body).json()
        assert_matches_schema(chat, "CreateChatCompletionResponse")
        assert chat["choices"][0]["message"]["content"] == "a3"
        deleted = self.call("DELETE", f"/files/{upload['id']}").json()
        assert_matches_schema(deleted, "DeleteFileResponse")

    def test_errors_answer_in_the_specs_shape(self) -> None:
        for response in (
            self.http.get("/sandbox/v1/models"),  # no key
            self.call("GET", "/fine_tuning/jobs/ftjob-missing"),
            self.call("POST", "/fine_tuning/jobs", json={"model": "nope", "training_file": "x"}),
            self.call("GET", "/models/nope"),
        ):
            assert response.status_code in (400, 401, 404)
            assert_matches_schema(response.json(), "ErrorResponse")
