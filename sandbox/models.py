"""The sandbox's own state. It never touches the portal's tables: like a real
provider, it knows only what arrives over HTTP."""

from __future__ import annotations

from django.db import models


class SandboxFile(models.Model):
    file_id = models.CharField(max_length=64, unique=True)
    filename = models.CharField(max_length=255)
    purpose = models.CharField(max_length=40)
    bytes = models.BigIntegerField()
    created_at = models.BigIntegerField()
    content = models.FileField(upload_to="sandbox/files/", max_length=500)
    deleted = models.BooleanField(default=False)


class SandboxJob(models.Model):
    job_id = models.CharField(max_length=64, unique=True)
    model = models.CharField(max_length=200)
    training_file = models.CharField(max_length=64)
    validation_file = models.CharField(max_length=64, blank=True)
    method = models.JSONField(default=dict)
    hyperparameters = models.JSONField(default=dict)
    suffix = models.CharField(max_length=64, blank=True)
    seed = models.IntegerField()
    metadata = models.JSONField(default=dict)
    created_at = models.FloatField()
    # Set when something other than the clock decided the status.
    status_override = models.CharField(max_length=20, blank=True)
    paused_at = models.FloatField(null=True)
    paused_total = models.FloatField(default=0)
    finished_at = models.FloatField(null=True)
    n_examples = models.PositiveIntegerField(default=0)
    tokens_per_epoch = models.BigIntegerField(default=0)
    total_steps = models.PositiveIntegerField(default=1)
    avg_tokens = models.FloatField(default=50)
    invalid_reason = models.TextField(blank=True)
    error = models.JSONField(null=True)
    fine_tuned_model = models.CharField(max_length=300, blank=True)
    result_file = models.CharField(max_length=64, blank=True)

    class Meta:
        indexes = [models.Index(fields=["created_at"])]


class SandboxFault(models.Model):
    """A scripted answer for one of the next requests (429, 500, slow), in order."""

    status = models.PositiveSmallIntegerField(default=0)
    retry_after = models.FloatField(null=True)
    latency_ms = models.PositiveIntegerField(default=0)
    code = models.CharField(max_length=64, blank=True)
    path_contains = models.CharField(max_length=200, blank=True)
