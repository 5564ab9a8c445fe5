from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse

from datasets_app.models import DatasetVersion
from ftportal.lib.models import TimestampedModel
from ftportal.models import Project


class ProviderCredential(TimestampedModel):
    """How to reach one provider account; the secret is stored encrypted only."""

    class Kind(models.TextChoices):
        OPENAI = "openai", "OpenAI"
        AZURE = "azure", "Azure OpenAI"
        COMPATIBLE = "compatible", "OpenAI-compatible endpoint"
        SANDBOX = "sandbox", "Sandbox (offline emulator)"

    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    # Internal hosts ("web:8000", "testserver") are valid here, so no URLValidator.
    base_url = models.CharField(blank=True, max_length=500)
    organization = models.CharField(max_length=200, blank=True)
    openai_project = models.CharField(max_length=200, blank=True)
    api_version = models.CharField(max_length=40, blank=True)
    secret_encrypted = models.BinaryField()
    secret_last4 = models.CharField(max_length=4, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"


class ProjectProvider(models.Model):
    """Which credential a project's jobs use."""

    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="provider")
    credential = models.ForeignKey(
        ProviderCredential, on_delete=models.PROTECT, related_name="projects"
    )


class Job(TimestampedModel):
    class Status(models.TextChoices):
        AWAITING_APPROVAL = "awaiting_approval", "Awaiting approval"
        QUEUED = "queued", "Queued"
        SUBMITTING = "submitting", "Submitting"
        SUBMITTED = "submitted", "Submitted"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"
        REJECTED = "rejected", "Rejected"

    class Method(models.TextChoices):
        SUPERVISED = "supervised", "Supervised"
        DPO = "dpo", "DPO (preference)"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="jobs")
    dataset_version = models.ForeignKey(
        DatasetVersion, on_delete=models.PROTECT, related_name="jobs"
    )
    credential = models.ForeignKey(ProviderCredential, on_delete=models.PROTECT, related_name="+")
    base_model = models.CharField(max_length=200)
    method = models.CharField(max_length=16, choices=Method.choices, default=Method.SUPERVISED)
    hyperparameters = models.JSONField(default=dict, blank=True)
    suffix = models.CharField(max_length=64, blank=True)
    seed = models.IntegerField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    # The provider's own status string, kept verbatim (paused, pausing, unknown values).
    provider_status = models.CharField(max_length=40, blank=True)
    openai_training_file_id = models.CharField(max_length=200, blank=True)
    openai_validation_file_id = models.CharField(max_length=200, blank=True)
    openai_job_id = models.CharField(max_length=200, blank=True, db_index=True)
    celery_task_id = models.CharField(max_length=64, blank=True)
    # One form submission makes one job, however often the button is clicked.
    submit_token = models.CharField(max_length=64, null=True, blank=True, unique=True)
    submit_attempts = models.PositiveSmallIntegerField(default=0)
    fine_tuned_model = models.CharField(max_length=300, blank=True)
    # From the provider's model list when the job was created (OpenAI's Model.shutdown_date).
    base_model_shutdown_date = models.DateField(null=True, blank=True)
    trained_tokens = models.BigIntegerField(null=True, blank=True)
    estimated_finish = models.DateTimeField(null=True, blank=True)
    total_steps = models.PositiveIntegerField(null=True, blank=True)
    current_step = models.PositiveIntegerField(null=True, blank=True)
    error_code = models.CharField(max_length=200, blank=True)
    error_message = models.TextField(blank=True)
    error_param = models.CharField(max_length=200, blank=True)
    result_files = models.JSONField(default=list, blank=True)
    provider_data = models.JSONField(default=dict, blank=True)
    last_event_id = models.CharField(max_length=200, blank=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    next_poll_at = models.DateTimeField(null=True, blank=True, db_index=True)
    poll_failures = models.PositiveSmallIntegerField(default=0)
    submitted_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    estimated_tokens = models.BigIntegerField(null=True, blank=True)
    estimated_cost = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    actual_cost = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approval_comment = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "next_poll_at"])]

    def __str__(self) -> str:
        return f"Job {self.id} ({self.base_model})"

    def get_absolute_url(self) -> str:
        return reverse("jobs_app:job-detail", args=[self.id])

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES


FINAL_STATUSES = (
    Job.Status.SUCCEEDED,
    Job.Status.FAILED,
    Job.Status.CANCELLED,
    Job.Status.REJECTED,
)
ACTIVE_STATUSES = (Job.Status.SUBMITTED, Job.Status.RUNNING)


class JobEvent(models.Model):
    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="events")
    provider_event_id = models.CharField(max_length=200)
    created_at = models.DateTimeField()
    level = models.CharField(max_length=16, default="info")
    type = models.CharField(max_length=32, default="message")
    message = models.TextField()
    data = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["job", "provider_event_id"], name="unique_job_event")
        ]


class JobCheckpoint(models.Model):
    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="checkpoints")
    provider_checkpoint_id = models.CharField(max_length=200)
    step = models.PositiveIntegerField()
    fine_tuned_model_checkpoint = models.CharField(max_length=300)
    metrics = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["step"]
        constraints = [
            models.UniqueConstraint(
                fields=["job", "provider_checkpoint_id"], name="unique_job_checkpoint"
            )
        ]


class JobMetric(models.Model):
    """Training metrics per step, from `metrics` events and finally the result file."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="metrics")
    step = models.PositiveIntegerField()
    train_loss = models.FloatField(null=True, blank=True)
    train_accuracy = models.FloatField(null=True, blank=True)
    valid_loss = models.FloatField(null=True, blank=True)
    valid_mean_token_accuracy = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["step"]
        constraints = [models.UniqueConstraint(fields=["job", "step"], name="unique_job_step")]


class ProjectBudget(models.Model):
    """A project's spending limits; every one is optional."""

    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="budget")
    monthly_budget_usd = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    max_cost_per_job_usd = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True
    )
    max_epochs = models.PositiveSmallIntegerField(null=True, blank=True)
    max_tokens_per_job = models.BigIntegerField(
        "max billable training tokens per job", null=True, blank=True
    )
    approval_threshold_usd = models.DecimalField(
        "jobs estimated above this wait for approval (USD)",
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
    )
    webhook_url = models.CharField(max_length=500, blank=True)
    webhook_secret_encrypted = models.BinaryField(null=True, blank=True)


class SpendEntry(TimestampedModel):
    """The spend ledger: one line per job, reserved at submission, settled when it ends."""

    class State(models.TextChoices):
        RESERVED = "reserved", "Reserved"
        SETTLED = "settled", "Settled"

    job = models.OneToOneField(Job, on_delete=models.PROTECT, related_name="spend")
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="spend")
    month = models.DateField(db_index=True, help_text="First day of the month, organisation time.")
    state = models.CharField(max_length=10, choices=State.choices, default=State.RESERVED)
    reserved_usd = models.DecimalField(max_digits=12, decimal_places=4)
    actual_usd = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["month", "project"])]

    @property
    def amount(self):  # noqa: ANN201 - Decimal
        return self.actual_usd if self.state == self.State.SETTLED else self.reserved_usd


class Notification(TimestampedModel):
    """One event worth telling people about; the unique key makes each event notify once."""

    key = models.CharField(max_length=200, unique=True)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="notifications")
    subject = models.CharField(max_length=300)
    text = models.TextField()
    emailed_to = models.JSONField(default=list, blank=True)
    webhook_status = models.CharField(max_length=40, blank=True)
    webhook_attempts = models.PositiveSmallIntegerField(default=0)
