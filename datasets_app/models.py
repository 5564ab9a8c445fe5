from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse

from ftportal.lib.models import TimestampedModel
from ftportal.models import Project


def _upload_path(instance: SourceFile, filename: str) -> str:
    return f"datasets/{instance.dataset_id}/sources/{filename}"


class Dataset(TimestampedModel):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="datasets")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("datasets_app:dataset-detail", args=[self.id])


class SourceFile(TimestampedModel):
    """An uploaded file, as stored; what was detected in it, for the mapping step."""

    class Format(models.TextChoices):
        CSV = "csv", "CSV/TSV"
        XLSX = "xlsx", "Excel workbook"
        ODS = "ods", "OpenDocument spreadsheet"
        JSONL = "jsonl", "JSONL"
        JSON = "json", "JSON"

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="source_files")
    file = models.FileField(upload_to=_upload_path, max_length=500)
    original_name = models.CharField(max_length=255)
    size_bytes = models.BigIntegerField()
    sha256 = models.CharField(max_length=64)
    format = models.CharField(max_length=8, choices=Format.choices)
    # What the sniffer found (encoding, delimiter, sheets, header row, kind of JSONL).
    detected = models.JSONField(default=dict, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return self.original_name


class IngestionRun(TimestampedModel):
    """One processing run of a source file with a mapping and cleaning options."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Processing"
        SUCCEEDED = "succeeded", "Done"
        REJECTED = "rejected", "Stopped: problems to fix"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="runs")
    source_file = models.ForeignKey(SourceFile, on_delete=models.PROTECT, related_name="runs")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    mapping = models.JSONField(default=dict, blank=True)
    options = models.JSONField(default=dict, blank=True)
    progress = models.PositiveSmallIntegerField(default=0)  # percent
    progress_label = models.CharField(max_length=200, blank=True)
    cancel_requested = models.BooleanField(default=False)
    error = models.TextField(blank=True)
    celery_task_id = models.CharField(max_length=64, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]

    @property
    def is_final(self) -> bool:
        return self.status in RUN_FINAL_STATUSES


RUN_FINAL_STATUSES = (
    IngestionRun.Status.SUCCEEDED,
    IngestionRun.Status.REJECTED,
    IngestionRun.Status.FAILED,
    IngestionRun.Status.CANCELLED,
)


def _version_path(instance: DatasetVersion, filename: str) -> str:
    return f"datasets/{instance.dataset_id}/versions/{instance.number}/{filename}"


class DatasetVersion(TimestampedModel):
    """An immutable, complete result of an ingestion run; usable for jobs."""

    class Kind(models.TextChoices):
        SUPERVISED = "supervised", "Chat (supervised)"
        PREFERENCE = "preference", "Preference (DPO)"

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="versions")
    run = models.OneToOneField(IngestionRun, on_delete=models.PROTECT, related_name="version")
    number = models.PositiveIntegerField()
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.SUPERVISED)
    train_file = models.FileField(upload_to=_version_path, max_length=500)
    validation_file = models.FileField(upload_to=_version_path, max_length=500, blank=True)
    train_count = models.PositiveIntegerField(default=0)
    validation_count = models.PositiveIntegerField(default=0)
    # Token statistics, cleaning report, per-category counts, histogram, estimate.
    stats = models.JSONField(default=dict)
    # Per example token counts (train split), to estimate cost for any model and epochs.
    tokens_total = models.BigIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["dataset", "number"], name="unique_version_number")
        ]

    def __str__(self) -> str:
        return f"{self.dataset.name} v{self.number}"

    def get_absolute_url(self) -> str:
        return reverse("datasets_app:version-detail", args=[self.dataset_id, self.number])

    @property
    def example_count(self) -> int:
        return self.train_count + self.validation_count


class Problem(models.Model):
    """A problem found in one source row (or the dataset as a whole) during a run."""

    class Severity(models.TextChoices):
        ERROR = "error", "Error"
        WARNING = "warning", "Warning"

    run = models.ForeignKey(IngestionRun, on_delete=models.CASCADE, related_name="problems")
    code = models.CharField(max_length=64, db_index=True)
    severity = models.CharField(max_length=8, choices=Severity.choices)
    sheet = models.CharField(max_length=200, blank=True)
    row = models.PositiveIntegerField(null=True, blank=True)  # sheet row or JSONL line
    column = models.CharField(max_length=200, blank=True)
    message = models.TextField()
    detail = models.JSONField(default=dict, blank=True)
    dropped = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["run", "code"])]


class Example(models.Model):
    """One example of a version, for browsing, search and row-level diffs."""

    class Split(models.TextChoices):
        TRAIN = "train", "Train"
        VALIDATION = "validation", "Validation"

    version = models.ForeignKey(DatasetVersion, on_delete=models.CASCADE, related_name="examples")
    split = models.CharField(max_length=10, choices=Split.choices)
    position = models.PositiveIntegerField()
    source_row = models.PositiveIntegerField(null=True, blank=True)
    category = models.CharField(max_length=200, blank=True)
    prompt_text = models.TextField()  # first user message, for search and diff keys
    content_hash = models.CharField(max_length=64)
    tokens = models.PositiveIntegerField(default=0)
    record = models.JSONField()  # the JSONL line, as written

    class Meta:
        ordering = ["split", "position"]
        indexes = [models.Index(fields=["version", "split", "position"])]
