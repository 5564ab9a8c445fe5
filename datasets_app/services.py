"""Writes for datasets: uploads, runs, versions. Views and tasks call these."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.contrib.auth.models import User
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from datasets_app.models import (
    Dataset,
    DatasetVersion,
    Example,
    IngestionRun,
    Problem,
    SourceFile,
)
from datasets_app.pipeline import (
    Mapping,
    PipelineCancelled,
    PipelineOptions,
    ReaderError,
    SniffResult,
    run_pipeline,
    sniff,
)
from datasets_app.pipeline.prices import model_terms
from ftportal.audit import audit_log
from ftportal.models import Project

logger = logging.getLogger(__name__)
EXAMPLE_BATCH = 2000
PROGRESS_EVERY_SECONDS = 0.5


@contextlib.contextmanager
def local_path(stored: Any) -> Iterator[Path]:
    """A local path for a stored file: the file itself on disk storage, else a temporary copy."""
    try:
        yield Path(stored.path)
        return
    except NotImplementedError:
        pass
    with tempfile.NamedTemporaryFile(suffix=Path(stored.name).suffix) as tmp:
        with stored.open("rb") as src:
            shutil.copyfileobj(src, tmp, 1024 * 1024)
        tmp.flush()
        yield Path(tmp.name)


@transaction.atomic
def dataset_create(*, project: Project, name: str, description: str = "", user: User) -> Dataset:
    """Create an empty dataset in a project."""
    dataset = Dataset(project=project, name=name, description=description, created_by=user)
    dataset.full_clean()
    dataset.save()
    logger.info("dataset created dataset_id=%s project_id=%s", dataset.id, project.id)
    return dataset


def source_file_create(*, dataset: Dataset, upload: UploadedFile, user: User) -> SourceFile:
    """Sniff an uploaded file and store it; a refused file leaves nothing behind."""
    with tempfile.TemporaryDirectory(prefix="upload-") as tmp:
        path = Path(tmp) / "upload"
        digest = hashlib.sha256()
        size = 0
        with path.open("wb") as out:
            for chunk in upload.chunks():
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
        sniffed = sniff(path, upload.name or "upload")  # raises ReaderError
        source = SourceFile(
            dataset=dataset,
            original_name=(upload.name or "upload")[:255],
            size_bytes=size,
            sha256=digest.hexdigest(),
            format=sniffed.format if sniffed.format != "json" else SourceFile.Format.JSON,
            detected=sniffed.to_json(),
            uploaded_by=user,
        )
        with path.open("rb") as f:
            source.file.save(Path(upload.name or "upload").name, File(f), save=False)
        try:
            with transaction.atomic():
                source.full_clean(exclude=["file"])
                source.save()
        except Exception:
            source.file.delete(save=False)
            raise
    logger.info("source stored dataset_id=%s source_id=%s size=%s", dataset.id, source.id, size)
    return source


def source_file_resniff(
    *, source: SourceFile, sheet: str | None, encoding: str | None, delimiter: str | None
) -> SniffResult:
    """Detect again with the person's choice of sheet, encoding or delimiter."""
    with local_path(source.file) as path:
        sniffed = sniff(
            path, source.original_name, sheet=sheet, encoding=encoding, delimiter=delimiter
        )
    source.detected = sniffed.to_json()
    source.save(update_fields=["detected", "updated_at"])
    return sniffed


@transaction.atomic
def run_create(
    *,
    dataset: Dataset,
    source: SourceFile,
    mapping: Mapping | None,
    options: dict[str, Any],
    user: User,
) -> IngestionRun:
    """Queue a processing run; the task starts once this transaction commits."""
    from datasets_app.tasks import dataset_ingest as dataset_ingest_task

    run = IngestionRun(
        dataset=dataset,
        source_file=source,
        mapping=mapping.to_json() if mapping else {},
        options=options,
        created_by=user,
        progress_label="Waiting for a worker",
    )
    run.full_clean()
    run.save()
    transaction.on_commit(lambda: dataset_ingest_task.delay(run.id))
    logger.info("run queued dataset_id=%s run_id=%s", dataset.id, run.id)
    return run


@transaction.atomic
def run_cancel(*, run: IngestionRun) -> None:
    """Cancel at once when still queued; ask the worker to stop when running."""
    if run.is_final:
        return
    updated = IngestionRun.objects.filter(id=run.id, status=IngestionRun.Status.QUEUED).update(
        status=IngestionRun.Status.CANCELLED,
        finished_at=timezone.now(),
        progress_label="Cancelled",
    )
    if not updated:
        IngestionRun.objects.filter(id=run.id).update(cancel_requested=True)
    logger.info("run cancel requested dataset_id=%s run_id=%s", run.dataset_id, run.id)


def _options(run: IngestionRun, project: Project) -> PipelineOptions:
    opts = run.options
    model = opts.get("model", "gpt-4o-mini-2024-07-18")
    price, limit = model_terms(model)
    return PipelineOptions(
        mapping=Mapping.from_json(run.mapping) if run.mapping else None,
        default_system_prompt=project.system_prompt,
        trim=opts.get("trim", True),
        nfc=opts.get("nfc", True),
        drop_empty=opts.get("drop_empty", True),
        strip_html=opts.get("strip_html", False),
        dedupe=opts.get("dedupe", True),
        pii_mode=opts.get("pii_mode", "flag"),
        model=model,
        max_example_tokens=opts.get("max_example_tokens") or limit,
        validation_fraction=opts.get("validation_fraction", 0.1),
        seed=opts.get("seed", 42),
        drop_codes=frozenset(opts.get("drop_codes", [])),
        price_per_1m=price,
    )


def run_execute(*, run_id: int) -> None:
    """Process a queued run; claim it first so a duplicated task does nothing."""
    claimed = IngestionRun.objects.filter(id=run_id, status=IngestionRun.Status.QUEUED).update(
        status=IngestionRun.Status.RUNNING,
        started_at=timezone.now(),
        progress=1,
        progress_label="Starting",
    )
    if claimed != 1:
        logger.info("run not claimed (already taken or cancelled) run_id=%s", run_id)
        return
    run = IngestionRun.objects.select_related("dataset__project", "source_file").get(id=run_id)
    last = [0.0]

    def progress(pct: int, label: str) -> None:
        now = time.monotonic()
        if now - last[0] >= PROGRESS_EVERY_SECONDS or pct >= 100:
            last[0] = now
            IngestionRun.objects.filter(id=run_id).update(progress=pct, progress_label=label)

    def should_cancel() -> bool:
        return IngestionRun.objects.filter(id=run_id, cancel_requested=True).exists()

    sniffed = SniffResult.from_json(run.source_file.detected)
    try:
        with (
            tempfile.TemporaryDirectory(prefix=f"run-{run_id}-") as tmp,
            local_path(run.source_file.file) as source_path,
        ):
            result = run_pipeline(
                source_path,
                sniffed,
                _options(run, run.dataset.project),
                out_dir=Path(tmp),
                progress=progress,
                should_cancel=should_cancel,
            )
            _finish(run, result)
    except PipelineCancelled:
        _end(run_id, IngestionRun.Status.CANCELLED, "Cancelled")
    except ReaderError as exc:
        _end(run_id, IngestionRun.Status.FAILED, "Failed", error=_where(exc) + exc.message)
    except Exception:
        logger.exception("run failed dataset_id=%s run_id=%s", run.dataset_id, run_id)
        message = "Processing failed unexpectedly; the administrators have the details."
        _end(run_id, IngestionRun.Status.FAILED, "Failed", error=message)
        raise


def _where(exc: ReaderError) -> str:
    where = exc.where()
    return f"{where[0].upper()}{where[1:]}: " if where else ""


def _end(run_id: int, status: str, label: str, error: str = "") -> None:
    IngestionRun.objects.filter(id=run_id).update(
        status=status, progress_label=label, error=error, finished_at=timezone.now()
    )


def _problem_rows(run: IngestionRun, result: Any) -> list[Problem]:
    return [
        Problem(
            run=run,
            code=p.code,
            severity=p.severity,
            sheet=p.sheet[:200],
            row=p.row,
            column=p.column[:200],
            message=p.message,
            detail=p.detail,
            dropped=p.dropped,
        )
        for p in result.problems
    ]


def _finish(run: IngestionRun, result: Any) -> None:
    """Save problems and, when usable, the complete version in one transaction."""
    with transaction.atomic():
        locked = IngestionRun.objects.select_for_update().get(id=run.id)
        if locked.cancel_requested:
            raise PipelineCancelled()
        Problem.objects.bulk_create(_problem_rows(run, result), batch_size=2000)
        stats = {**result.stats, "problem_counts": result.problem_counts}
        if not result.usable:
            IngestionRun.objects.filter(id=run.id).update(
                status=IngestionRun.Status.REJECTED,
                progress=100,
                finished_at=timezone.now(),
                progress_label="Stopped: problems to fix",
                options={**run.options, "stats": stats},
            )
            return
        dataset = Dataset.objects.select_for_update().get(id=run.dataset_id)
        number = (dataset.versions.aggregate(n=Max("number"))["n"] or 0) + 1
        version = DatasetVersion(
            dataset=dataset,
            run=run,
            number=number,
            kind=result.kind,
            train_count=result.train_count,
            validation_count=result.validation_count,
            stats=stats,
            tokens_total=result.stats["tokens"]["total"],
            created_by=run.created_by,
        )
        saved: list[Any] = []
        try:
            with result.train_path.open("rb") as f:
                version.train_file.save("train.jsonl", File(f), save=False)
                saved.append(version.train_file)
            with result.validation_path.open("rb") as f:
                version.validation_file.save("validation.jsonl", File(f), save=False)
                saved.append(version.validation_file)
            version.save()
            _save_examples(version, result)
            version.stats["diff"] = version_diff_counts(version=version)
            version.save(update_fields=["stats"])
            IngestionRun.objects.filter(id=run.id).update(
                status=IngestionRun.Status.SUCCEEDED,
                progress=100,
                finished_at=timezone.now(),
                progress_label=f"Version {number} is ready",
            )
        except BaseException:
            # The transaction rolls the rows back; the files are ours to remove.
            for stored in saved:
                stored.delete(save=False)
            raise
    audit_log(
        actor=run.created_by,
        action="dataset_version_created",
        target=version,
        project=dataset.project,
        data={"examples": version.example_count},
    )
    logger.info("version created dataset_id=%s version=%s run_id=%s", dataset.id, number, run.id)


def _save_examples(version: DatasetVersion, result: Any) -> None:
    batch: list[Example] = []
    with (
        result.meta_path.open(encoding="utf-8") as meta_f,
        result.train_path.open(encoding="utf-8") as train_f,
        result.validation_path.open(encoding="utf-8") as val_f,
    ):
        for raw in meta_f:
            meta = json.loads(raw)
            line = (val_f if meta["split"] == "validation" else train_f).readline()
            batch.append(
                Example(
                    version=version,
                    split=meta["split"],
                    position=meta["position"],
                    source_row=meta["source_row"],
                    category=meta["category"][:200],
                    prompt_text=meta["prompt_text"],
                    content_hash=meta["content_hash"],
                    tokens=meta["tokens"],
                    record=json.loads(line),
                )
            )
            if len(batch) >= EXAMPLE_BATCH:
                Example.objects.bulk_create(batch)
                batch = []
    Example.objects.bulk_create(batch)


def version_diff_counts(*, version: DatasetVersion) -> dict[str, int]:
    """Examples added, removed and changed (same prompt, new answer) since the previous version."""
    previous = (
        DatasetVersion.objects.filter(dataset_id=version.dataset_id, number__lt=version.number)
        .order_by("-number")
        .first()
    )
    if previous is None:
        return {"previous": 0, "added": version.example_count, "removed": 0, "changed": 0}
    diff = version_diff(old=previous, new=version)
    return {"previous": previous.number, **{k: len(v) for k, v in diff.items()}}


def version_diff(*, old: DatasetVersion, new: DatasetVersion) -> dict[str, list[Any]]:
    old_rows = dict(old.examples.values_list("content_hash", "prompt_text"))
    new_rows = dict(new.examples.values_list("content_hash", "prompt_text"))
    only_old = {h: p for h, p in old_rows.items() if h not in new_rows}
    only_new = {h: p for h, p in new_rows.items() if h not in old_rows}
    old_by_prompt = {p: h for h, p in only_old.items()}
    changed = [(old_by_prompt[p], h) for h, p in only_new.items() if p in old_by_prompt]
    changed_old = {o for o, _ in changed}
    changed_new = {n for _, n in changed}
    return {
        "added": [h for h in only_new if h not in changed_new],
        "removed": [h for h in only_old if h not in changed_old],
        "changed": changed,
    }


def version_training_estimate(
    *, version: DatasetVersion, model: str, n_epochs: int | None = None
) -> dict[str, Any]:
    """Epochs, billable tokens and cost of training this version on one base model."""
    from django.db.models import Sum, Value
    from django.db.models.functions import Least

    from datasets_app.pipeline import estimate

    price, limit = model_terms(model)
    per_epoch = (
        version.examples.filter(split=Example.Split.TRAIN).aggregate(
            t=Sum(Least("tokens", Value(limit)))
        )["t"]
        or 0
    )
    return estimate(
        model=model,
        n_train=version.train_count,
        tokens_per_epoch=per_epoch,
        n_epochs=n_epochs,
        price_per_1m=price,
    )


def version_estimates(*, version: DatasetVersion) -> list[dict[str, Any]]:
    """Training cost of this version on each priced base model, with the auto epochs rule."""
    from ftportal.models import ModelPrice

    return [
        {
            **version_training_estimate(version=version, model=price.model),
            "confirmed": price.confirmed,
        }
        for price in ModelPrice.objects.order_by("model")
    ]


def version_diff_rows(*, version: DatasetVersion, limit: int = 200) -> dict[str, Any]:
    previous = (
        DatasetVersion.objects.filter(dataset_id=version.dataset_id, number__lt=version.number)
        .order_by("-number")
        .first()
    )
    if previous is None:
        return {"previous": None}
    diff = version_diff(old=previous, new=version)

    def rows(v: DatasetVersion, hashes: list[str]) -> dict[str, Example]:
        return {e.content_hash: e for e in v.examples.filter(content_hash__in=hashes[:limit])}

    old_changed = rows(previous, [o for o, _ in diff["changed"]])
    new_changed = rows(version, [n for _, n in diff["changed"]])
    return {
        "previous": previous,
        "counts": {k: len(v) for k, v in diff.items()},
        "added": list(rows(version, diff["added"]).values()),
        "removed": list(rows(previous, diff["removed"]).values()),
        "changed": [
            (old_changed[o], new_changed[n])
            for o, n in diff["changed"][:limit]
            if o in old_changed and n in new_changed
        ],
    }
