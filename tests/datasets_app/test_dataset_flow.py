from __future__ import annotations

import contextlib
import csv
import io
import json
from pathlib import Path
from unittest import mock

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from datasets_app import services
from datasets_app.models import Dataset, DatasetVersion, Example, IngestionRun, SourceFile
from datasets_app.pipeline import Mapping
from datasets_app.tasks import dataset_ingest
from ftportal.roles import Role
from ftportal.test import BaseTestCase, make_user
from tests.datasets_app.helpers import faq_rows, write_xlsx


def _csv_bytes(rows, header=("Question", "Answer", "Category")) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue().encode()


def _faq(n: int, start: int = 0) -> list[list[str]]:
    return [[q, a, "billing" if i % 2 else "shipping"] for i, (q, a) in
            enumerate(faq_rows(n, start))]  # fmt: skip


MAP_POST = {
    "prompt": "Question", "response": "Answer", "category": "Category", "trim": "on",
    "nfc": "on", "drop_empty": "on", "dedupe": "on", "pii_mode": "flag",
    "model": "gpt-4o-mini-2024-07-18", "validation_percent": "10", "seed": "42", "start": "1",
}  # fmt: skip


class DatasetFlowTestCase(BaseTestCase):
    def setUp(self) -> None:
        self.expert = make_user("expert", Role.DOMAIN_EXPERT)
        self.project.members.add(self.expert)
        self.client.force_login(self.expert)

    def _upload(self, content: bytes, name: str = "faq.csv", **extra):
        return self.client.post(
            "/projects/alice-support/datasets/new/",
            {"name": "Support FAQ", "file": SimpleUploadedFile(name, content)},
            **extra,
        )

    def _process(self, content: bytes, **post) -> IngestionRun:
        r = self._upload(content)
        assert r.status_code == 302, r.content
        source = SourceFile.objects.latest("id")
        with self.captureOnCommitCallbacks(execute=False) as callbacks:
            r = self.client.post(r["Location"], {**MAP_POST, **post})
        assert r.status_code == 302, r.context["form"].errors if r.context else r
        assert len(callbacks) == 1  # the task is enqueued only after commit
        run = IngestionRun.objects.get(source_file=source, status="queued")
        dataset_ingest(run.id)  # the task body, as the worker runs it
        run.refresh_from_db()
        return run

    def test_it_turns_a_spreadsheet_into_a_version(self) -> None:
        run = self._process(_csv_bytes(_faq(40) + [_faq(1)[0]]))
        assert run.status == "succeeded", run.error
        version = run.version
        assert (version.number, version.train_count, version.validation_count) == (1, 36, 4)
        assert version.stats["duplicates"] == 1
        assert Example.objects.filter(version=version).count() == 40
        first = json.loads(version.train_file.open().readline())
        assert first["messages"][0]["content"] == self.project.system_prompt
        for url in (
            version.get_absolute_url(),
            f"{version.get_absolute_url()}examples/?q=thing+3",
            f"{version.get_absolute_url()}diff/",
            f"/datasets/{version.dataset_id}/",
        ):
            assert self.client.get(url).status_code == 200, url  # fmt: skip
        body = self.client.get(version.get_absolute_url()).content.decode()
        assert "gpt-4o-mini-2024-07-18" in body and "$" in body
        download = self.client.get(f"{version.get_absolute_url()}train.jsonl")
        lines = b"".join(download.streaming_content).decode().splitlines()
        assert len(lines) == 36 and all(json.loads(x)["messages"] for x in lines)

    def test_a_second_version_shows_its_differences(self) -> None:
        first = self._process(_csv_bytes(_faq(30)))
        rows = _faq(29) + [["How do I do thing 0?", "A new answer.", "shipping"]]
        rows = rows[1:] + [["Brand new?", "Yes.", "billing"]]
        upload = self.client.post(
            f"/datasets/{first.dataset_id}/upload/",
            {"file": SimpleUploadedFile("v2.csv", _csv_bytes(rows))},
        )
        assert upload.status_code == 302
        with self.captureOnCommitCallbacks(execute=False):
            self.client.post(upload["Location"], MAP_POST)
        run = IngestionRun.objects.latest("id")
        dataset_ingest(run.id)
        run.refresh_from_db()
        assert run.version.number == 2
        assert run.version.stats["diff"] == {"previous": 1, "added": 1, "removed": 1,
                                             "changed": 1}  # fmt: skip
        page = self.client.get(f"{run.version.get_absolute_url()}diff/").content.decode()
        assert "A new answer." in page and "Brand new?" in page

    def test_blocking_problems_stop_the_run_until_the_expert_drops_them(self) -> None:
        rows = _faq(20) + [["", "Orphan answer", "x"], ["<script>alert(1)</script>", "", "x"]]
        run = self._process(_csv_bytes(rows))
        assert run.status == "rejected"
        assert not DatasetVersion.objects.exists()
        page = self.client.get(f"/datasets/{run.dataset_id}/runs/{run.id}/").content.decode()
        assert "empty_prompt" in page and "row 22" in page
        assert "<script>alert(1)</script>" not in page  # content is always escaped
        csv_body = b"".join(
            self.client.get(
                f"/datasets/{run.dataset_id}/runs/{run.id}/problems.csv"
            ).streaming_content
        ).decode()
        assert csv_body.splitlines()[0] == "code,severity,sheet,row,column,message,dropped"
        assert "empty_response,error,,23,Answer" in csv_body
        with self.captureOnCommitCallbacks(execute=False):
            r = self.client.post(f"/datasets/{run.dataset_id}/runs/{run.id}/rerun/",
                                 {"drop_codes": ["empty_prompt", "empty_response"]})  # fmt: skip
        again = IngestionRun.objects.latest("id")
        assert r["Location"].endswith(f"/runs/{again.id}/")
        dataset_ingest(again.id)
        again.refresh_from_db()
        assert again.status == "succeeded" and again.version.example_count == 20

    def test_problem_csv_neutralises_formulas(self) -> None:
        run = self._process(_csv_bytes(_faq(3)))
        run.problems.create(code="=HYPERLINK(1)", severity="error", message="+cmd", column="@x")
        body = b"".join(
            self.client.get(
                f"/datasets/{run.dataset_id}/runs/{run.id}/problems.csv"
            ).streaming_content
        ).decode()
        assert "'=HYPERLINK(1)" in body and "'+cmd" in body and "'@x" in body

    def test_the_progress_fragment_polls_until_final_then_stops_with_286(self) -> None:
        self._upload(_csv_bytes(_faq(20)))
        source = SourceFile.objects.latest("id")
        run = services.run_create(dataset=source.dataset, source=source,
                                  mapping=Mapping(prompt="Question", response="Answer"),
                                  options={}, user=self.expert)  # fmt: skip
        url = f"/datasets/{run.dataset_id}/runs/{run.id}/"
        # session, user, two permission lookups (admin check), dataset, run
        with self.assertNumQueries(6):
            r = self.client.get(url, HTTP_HX_REQUEST="true")
        body = r.content.decode()
        assert r.status_code == 200 and "<html" not in body
        assert 'hx-trigger="every 1s"' in body
        dataset_ingest(run.id)
        r = self.client.get(url, HTTP_HX_REQUEST="true")
        assert r.status_code == 286
        assert "hx-trigger" not in r.content.decode()

    def test_a_second_claim_of_the_same_run_is_a_no_op(self) -> None:
        run = self._process(_csv_bytes(_faq(20)))
        with mock.patch("datasets_app.services.run_pipeline") as pipeline:
            run.status = "queued"
            dataset_ingest(run.id)  # the row says succeeded: nothing to claim
        pipeline.assert_not_called()
        assert DatasetVersion.objects.count() == 1

    def test_cancel_before_start_cancels_at_once(self) -> None:
        self._upload(_csv_bytes(_faq(20)))
        source = SourceFile.objects.latest("id")
        run = services.run_create(dataset=source.dataset, source=source,
                                  mapping=Mapping(prompt="Question", response="Answer"),
                                  options={}, user=self.expert)  # fmt: skip
        self.client.post(f"/datasets/{run.dataset_id}/runs/{run.id}/cancel/")
        run.refresh_from_db()
        assert run.status == "cancelled"
        dataset_ingest(run.id)
        assert not DatasetVersion.objects.exists()

    def test_a_failure_while_saving_leaves_no_version_and_no_files(self) -> None:
        first = self._process(_csv_bytes(_faq(20)))
        media = Path(first.version.train_file.path).parents[2]
        before = sorted(p for p in media.rglob("*") if p.is_file())
        self.client.post(f"/datasets/{first.dataset_id}/upload/",
                         {"file": SimpleUploadedFile("v2.csv", _csv_bytes(_faq(25)))})  # fmt: skip
        with self.captureOnCommitCallbacks(execute=False):
            self.client.post(
                f"/datasets/{first.dataset_id}/sources/{SourceFile.objects.latest('id').id}/map/",
                MAP_POST)  # fmt: skip
        run = IngestionRun.objects.latest("id")
        broken = mock.patch("datasets_app.services._save_examples", side_effect=RuntimeError("x"))
        with broken, contextlib.suppress(RuntimeError):
            dataset_ingest(run.id)
        run.refresh_from_db()
        assert run.status == "failed" and "unexpectedly" in run.error
        assert DatasetVersion.objects.count() == 1  # the previous version stays as it was
        after = sorted(p for p in media.rglob("*") if p.is_file() and "sources" not in p.parts)
        assert [p for p in after if "versions" in p.parts] == [
            p for p in before if "versions" in p.parts
        ]

    @override_settings(UPLOAD_MAX_BYTES=10_000)
    def test_it_refuses_a_file_over_the_limit_before_storing_it(self) -> None:
        r = self._upload(b"q,a\n" + b"x,y\n" * 5_000)
        assert r.status_code == 200
        assert "the limit is 10 KB" in r.content.decode()
        assert not SourceFile.objects.exists() and not Dataset.objects.exists()

    def test_a_refused_file_explains_why_and_leaves_nothing(self) -> None:
        r = self._upload(b"question,answer\n")
        assert "only a header row" in r.content.decode()
        assert not Dataset.objects.exists() and not SourceFile.objects.exists()

    def test_xhr_upload_answers_json(self) -> None:
        r = self._upload(_csv_bytes(_faq(12)), HTTP_X_UPLOAD="xhr")
        assert r.json()["redirect"].endswith("/map/")
        r = self._upload(b"", HTTP_X_UPLOAD="xhr")
        assert r.status_code == 400 and "empty" in r.json()["errors"][0]

    def test_mapping_preselects_columns_and_previews_chat_bubbles(self) -> None:
        path = write_xlsx(Path(self.id().replace(".", "_") + ".xlsx"), [["Title"], [],
                          ["Frage", "Antwort"], ["Wie?", "So."], ["Wo?", "Hier."]])  # fmt: skip
        try:
            r = self.client.post(
                "/projects/alice-support/datasets/new/",
                {"name": "DE", "file": SimpleUploadedFile("de.xlsx", path.read_bytes())},
            )
        finally:
            path.unlink()
        page = self.client.get(r["Location"])
        form = page.context["form"]
        assert form.initial["prompt"] == "Frage" and form.initial["response"] == "Antwort"
        assert "The header is on row 3" in page.content.decode()
        assert 'class="bubble assistant"' in page.content.decode()
        live = self.client.post(r["Location"], {**MAP_POST, "prompt": "Antwort",
                                                "response": "Frage", "category": "",
                                                "start": ""}, HTTP_HX_REQUEST="true")  # fmt: skip
        body = live.content.decode()
        assert "<html" not in body and 'id="mapping-preview"' in body
        assert body.index("So.") < body.index("Wie?")  # the swapped mapping is what is shown

    def test_outsiders_get_404_and_experts_cannot_see_other_projects(self) -> None:
        run = self._process(_csv_bytes(_faq(20)))
        self.client.force_login(self.bob)
        for url in (
            f"/datasets/{run.dataset_id}/",
            f"/datasets/{run.dataset_id}/runs/{run.id}/",
            f"{run.version.get_absolute_url()}train.jsonl",
        ):
            assert self.client.get(url).status_code == 404, url  # fmt: skip

    def test_dataset_list_query_count_does_not_grow(self) -> None:
        for i in range(5):
            Dataset.objects.create(project=self.project, name=f"D{i}")
        # session, user, two permission lookups, role label, datasets: nothing per dataset
        with self.assertNumQueries(6):
            self.client.get("/datasets/")
