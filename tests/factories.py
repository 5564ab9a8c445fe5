"""factory_boy factories for Dataset and Job (and what they need to exist)."""

from __future__ import annotations

import factory
from django.core.files.base import ContentFile

from datasets_app.models import Dataset, DatasetVersion, IngestionRun, SourceFile
from ftportal.lib.crypto import encrypt_secret
from jobs_app.models import Job, ProviderCredential

CHAT_LINE = b'{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}\n'  # noqa: E501


class DatasetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Dataset

    name = factory.Sequence(lambda n: f"Dataset {n}")


def make_version(dataset: Dataset, *, number: int = 1, lines: int = 10) -> DatasetVersion:
    """A complete version with real files, as an ingestion run would leave it."""
    source = SourceFile.objects.create(
        dataset=dataset,
        file=ContentFile(b"question,answer\nHi,Hello\n", name="faq.csv"),
        original_name="faq.csv",
        size_bytes=24,
        sha256="0" * 64,
        format=SourceFile.Format.CSV,
        detected={
            "format": "csv",
            "encoding": "utf-8",
            "delimiter": ",",
            "header_row": 1,
            "headers": ["question", "answer"],
        },
    )
    run = IngestionRun.objects.create(
        dataset=dataset, source_file=source, status=IngestionRun.Status.SUCCEEDED, progress=100
    )
    version = DatasetVersion(
        dataset=dataset,
        run=run,
        number=number,
        train_count=lines,
        validation_count=1,
        tokens_total=20 * lines,
        stats={"tokens": {"total": 20 * lines}},
    )
    version.train_file.save("train.jsonl", ContentFile(CHAT_LINE * lines), save=False)
    version.validation_file.save("validation.jsonl", ContentFile(CHAT_LINE), save=False)
    version.save()
    return version


class CredentialFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProviderCredential

    name = factory.Sequence(lambda n: f"Credential {n}")
    kind = ProviderCredential.Kind.SANDBOX
    base_url = "http://127.0.0.1:8000/sandbox/v1"
    secret_encrypted = factory.LazyFunction(lambda: encrypt_secret("sk-sandbox-local"))
    secret_last4 = "ocal"


class JobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Job

    project = factory.LazyAttribute(lambda o: o.dataset_version.dataset.project)
    credential = factory.SubFactory(CredentialFactory)
    base_model = "gpt-4o-mini-2024-07-18"
    status = Job.Status.QUEUED
