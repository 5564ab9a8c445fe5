from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HTMX_STOP_POLLING

from datasets_app import services
from datasets_app.forms import MappingForm, RerunForm, UploadForm
from datasets_app.models import Dataset, IngestionRun
from datasets_app.pipeline import Mapping, PipelineOptions, ReaderError, SniffResult, preview_table
from datasets_app.pipeline import preview_examples as pipeline_preview
from datasets_app.selectors import (
    dataset_get_for_user,
    datasets_for_user,
    problem_summary,
    run_get_for_user,
    run_problems,
    source_get_for_user,
    version_examples,
    version_get_for_user,
)
from datasets_app.uploads import SizeLimitUploadHandler, human_size
from ftportal.lib.csv_safe import csv_download
from ftportal.lib.http import AuthedHtmxRequest
from ftportal.selectors import project_get_for_user
from ftportal.use_cases import guess_columns

NAV = {"nav_section": "datasets"}


@login_required
@require_GET
def dataset_list(request: AuthedHtmxRequest) -> HttpResponse:
    datasets = datasets_for_user(user=request.user)
    return render(request, "datasets_app/dataset_list.html",
                  {"datasets": datasets, "project": None, **NAV})  # fmt: skip


@login_required
@require_GET
def project_datasets(request: AuthedHtmxRequest, slug: str) -> HttpResponse:
    project = project_get_for_user(user=request.user, slug=slug)
    datasets = datasets_for_user(user=request.user, project_id=project.id)
    return render(request, "datasets_app/dataset_list.html",
                  {"datasets": datasets, "project": project, **NAV})  # fmt: skip


@login_required
@require_GET
def dataset_detail(request: AuthedHtmxRequest, dataset_id: int) -> HttpResponse:
    dataset = dataset_get_for_user(user=request.user, dataset_id=dataset_id)
    ctx = {
        "dataset": dataset,
        "versions": dataset.versions.all(),
        "runs": dataset.runs.select_related("source_file")[:20],
        **NAV,
    }
    return render(request, "datasets_app/dataset_detail.html", ctx)


def _upload(request: AuthedHtmxRequest, *, project, dataset: Dataset | None) -> HttpResponse:  # noqa: ANN001
    form = UploadForm(request.POST or None, request.FILES or None, new_dataset=dataset is None)
    refused = getattr(request, "upload_refused", "")
    if request.method == "POST":
        if refused:
            form.add_error("file", refused)
        elif form.is_valid():
            target = dataset or services.dataset_create(
                project=project, name=form.cleaned_data["name"], user=request.user
            )
            try:
                source = services.source_file_create(
                    dataset=target, upload=form.cleaned_data["file"], user=request.user
                )
            except ReaderError as exc:
                if dataset is None:
                    target.delete()
                form.add_error("file", exc.message)
            else:
                url = reverse("datasets_app:source-map", args=[target.id, source.id])
                if request.headers.get("X-Upload") == "xhr":
                    return JsonResponse({"redirect": url})
                return redirect(url)
        if request.headers.get("X-Upload") == "xhr":
            errors = [str(e) for errs in form.errors.values() for e in errs]
            return JsonResponse({"errors": errors}, status=400)
    limit = settings.UPLOAD_MAX_BYTES
    ctx = {"form": form, "project": project, "dataset": dataset, **NAV,
           "max_bytes": limit, "max_label": human_size(limit)}  # fmt: skip
    return render(request, "datasets_app/upload.html", ctx)


@csrf_exempt  # the size limit must be installed before the body is read; csrf_protect follows
@login_required
@permission_required("ftportal.manage_datasets", raise_exception=True)
@require_http_methods(["GET", "POST"])
def dataset_create(request: AuthedHtmxRequest, slug: str) -> HttpResponse:
    request.upload_handlers.insert(0, SizeLimitUploadHandler(request))
    return csrf_protect(_create)(request, slug)


def _create(request: AuthedHtmxRequest, slug: str) -> HttpResponse:
    project = project_get_for_user(user=request.user, slug=slug)
    return _upload(request, project=project, dataset=None)


@csrf_exempt
@login_required
@permission_required("ftportal.manage_datasets", raise_exception=True)
@require_http_methods(["GET", "POST"])
def dataset_upload(request: AuthedHtmxRequest, dataset_id: int) -> HttpResponse:
    request.upload_handlers.insert(0, SizeLimitUploadHandler(request))
    return csrf_protect(_new_source)(request, dataset_id)


def _new_source(request: AuthedHtmxRequest, dataset_id: int) -> HttpResponse:
    dataset = dataset_get_for_user(user=request.user, dataset_id=dataset_id)
    return _upload(request, project=dataset.project, dataset=dataset)


def _mapping_form(request: AuthedHtmxRequest, source) -> tuple[MappingForm, SniffResult, str]:  # noqa: ANN001
    """The form for the detected file, re-detecting when the person changed a reader choice."""
    sniffed = SniffResult.from_json(source.detected)
    error = ""
    if request.method == "POST":
        probe = MappingForm(request.POST, sniffed=sniffed)
        probe.is_valid()
        choice = {k: probe.cleaned_data.get(k) or None for k in ("sheet", "encoding", "delimiter")}
        changed = (
            (choice["sheet"] and choice["sheet"] != sniffed.sheet)
            or (choice["encoding"] and choice["encoding"] != sniffed.encoding)
            or (choice["delimiter"] and choice["delimiter"] != sniffed.delimiter)
        )
        if changed:
            try:
                sniffed = services.source_file_resniff(source=source, **choice)
            except ReaderError as exc:
                error = exc.message
        return MappingForm(request.POST, sniffed=sniffed), sniffed, error
    guess = guess_columns(source.dataset.project.use_case, sniffed.headers)
    initial = {"sheet": sniffed.sheet, "encoding": sniffed.encoding or "",
               "delimiter": sniffed.delimiter or "", **guess}  # fmt: skip
    if "context" in guess:
        initial["context"] = [guess["context"]]
    return MappingForm(initial=initial, sniffed=sniffed), sniffed, error


@login_required
@permission_required("ftportal.manage_datasets", raise_exception=True)
@require_http_methods(["GET", "POST"])
def source_map(request: AuthedHtmxRequest, dataset_id: int, source_id: int) -> HttpResponse:
    source = source_get_for_user(user=request.user, dataset_id=dataset_id, source_id=source_id)
    form, sniffed, error = _mapping_form(request, source)
    if request.method == "POST" and not error and form.is_valid() and request.POST.get("start"):
        run = services.run_create(dataset=source.dataset, source=source, mapping=form.mapping(),
                                  options=form.options(), user=request.user)  # fmt: skip
        return redirect("datasets_app:run-detail", source.dataset_id, run.id)
    ctx = {"source": source, "dataset": source.dataset, "form": form, "sniffed": sniffed,
           "reader_error": error, **_previews(source, sniffed, form), **NAV}  # fmt: skip
    template = "datasets_app/mapping.html"
    if request.htmx:
        template += "#mapping-preview"
    return render(request, template, ctx)


def _previews(source, sniffed: SniffResult, form: MappingForm) -> dict[str, object]:  # noqa: ANN001
    rows, examples, error = [], [], ""
    try:
        with services.local_path(source.file) as path:
            if sniffed.format != "jsonl":
                rows = preview_table(path, sniffed, limit=20)
            mapping = (
                form.mapping() if form.is_bound and form.is_valid() else _initial_mapping(form)
            )
            if mapping is not None or sniffed.format == "jsonl":
                options = PipelineOptions(
                    mapping=mapping, default_system_prompt=source.dataset.project.system_prompt,
                    **{k: v for k, v in (form.options() if form.is_bound and form.is_valid()
                                         else {}).items() if k in ("trim", "nfc", "strip_html",
                                                                   "pii_mode")},
                )  # fmt: skip
                examples = pipeline_preview(path, sniffed, options, limit=5)
    except ReaderError as exc:
        error = exc.message
    return {"preview_rows": rows, "preview_examples": examples, "preview_error": error}


def _initial_mapping(form: MappingForm) -> Mapping | None:
    """The mapping as it stands, even while the form is still incomplete or invalid."""
    if not form.is_tabular:
        return None
    if form.is_bound:
        data = form.data
        get = data.get
        return Mapping(prompt=get("prompt", ""), response=get("response", ""),
                       system=get("system", ""), context=data.getlist("context"),
                       preferred=get("preferred", ""), rejected=get("rejected", ""),
                       conversation_id=get("conversation_id", ""), role=get("role", ""),
                       ) if get("prompt") else None  # fmt: skip
    get = form.initial.get
    if not get("prompt"):
        return None
    return Mapping(prompt=get("prompt", ""), response=get("response", ""),
                   context=list(get("context", [])), category=get("category", ""))  # fmt: skip


@login_required
@require_GET
def run_detail(request: AuthedHtmxRequest, dataset_id: int, run_id: int) -> HttpResponse:
    run = run_get_for_user(user=request.user, dataset_id=dataset_id, run_id=run_id)
    template = "datasets_app/run_detail.html"
    ctx: dict[str, object] = {"run": run, "dataset": run.dataset, **NAV}
    if request.htmx:
        response = render(request, template + "#run-status", ctx)
        if run.is_final:
            # The final fragment has no hx-trigger; 286 also stops htmx 2 polling.
            response.status_code = HTMX_STOP_POLLING
        return response
    if run.is_final:
        f = request.GET
        problems = run_problems(run=run, code=f.get("code", ""), severity=f.get("severity", ""),
                                column=f.get("column", ""))  # fmt: skip
        page = Paginator(problems, 100).get_page(f.get("page"))
        summary = problem_summary(run=run)
        error_codes = [s["code"] for s in summary if s["severity"] == "error"]
        drop = set(run.options.get("drop_codes", [])) | {
            s["code"] for s in summary if s["severity"] == "error" and s["dropped"]
        }
        ctx.update(page=page, summary=summary, filters=f,
                   columns=sorted({c for c in run.problems.values_list("column", flat=True) if c}),
                   rerun_form=RerunForm(codes=error_codes, initial={"drop_codes": sorted(drop)}),
                   stats=run.options.get("stats") or getattr(getattr(run, "version", None),
                                                             "stats", {}))  # fmt: skip
    return render(request, template, ctx)


@login_required
@permission_required("ftportal.manage_datasets", raise_exception=True)
@require_POST
def run_cancel(request: AuthedHtmxRequest, dataset_id: int, run_id: int) -> HttpResponse:
    run = run_get_for_user(user=request.user, dataset_id=dataset_id, run_id=run_id)
    services.run_cancel(run=run)
    messages.info(request, "Cancelling: nothing from this run will be kept.")
    return redirect("datasets_app:run-detail", dataset_id, run_id)


@login_required
@permission_required("ftportal.manage_datasets", raise_exception=True)
@require_POST
def run_rerun(request: AuthedHtmxRequest, dataset_id: int, run_id: int) -> HttpResponse:
    run = run_get_for_user(user=request.user, dataset_id=dataset_id, run_id=run_id)
    codes = [s["code"] for s in problem_summary(run=run) if s["severity"] == "error"]
    form = RerunForm(request.POST, codes=codes)
    if not form.is_valid():
        raise Http404("Unknown problem kind")
    options = {**run.options, "drop_codes": form.cleaned_data["drop_codes"]}
    options.pop("stats", None)
    new = services.run_create(dataset=run.dataset, source=run.source_file,
                              mapping=Mapping.from_json(run.mapping) if run.mapping else None,
                              options=options, user=request.user)  # fmt: skip
    return redirect("datasets_app:run-detail", dataset_id, new.id)


@login_required
@require_GET
def run_problems_csv(request: AuthedHtmxRequest, dataset_id: int, run_id: int) -> HttpResponse:
    run = run_get_for_user(user=request.user, dataset_id=dataset_id, run_id=run_id)
    rows = (
        (
            p.code,
            p.severity,
            p.sheet,
            p.row or "",
            p.column,
            p.message,
            "yes" if p.dropped else "no",
        )
        for p in run_problems(run=run).iterator(chunk_size=2000)
    )
    header = ["code", "severity", "sheet", "row", "column", "message", "dropped"]
    return csv_download(header, rows, f"problems-run-{run.id}.csv")


@login_required
@require_GET
def version_detail(request: AuthedHtmxRequest, dataset_id: int, number: int) -> HttpResponse:
    version = version_get_for_user(user=request.user, dataset_id=dataset_id, number=number)
    estimates = services.version_estimates(version=version)
    ctx = {"version": version, "dataset": version.dataset, "stats": version.stats,
           "estimates": estimates, **NAV}  # fmt: skip
    return render(request, "datasets_app/version_detail.html", ctx)


@login_required
@require_GET
def version_examples_view(request: AuthedHtmxRequest, dataset_id: int, number: int) -> HttpResponse:
    version = version_get_for_user(user=request.user, dataset_id=dataset_id, number=number)
    query = request.GET.get("q", "").strip()
    split = request.GET.get("split", "")
    page = Paginator(version_examples(version=version, split=split, query=query), 20).get_page(
        request.GET.get("page")
    )
    ctx = {"version": version, "dataset": version.dataset, "page": page, "query": query,
           "split": split, **NAV}  # fmt: skip
    template = "datasets_app/version_examples.html"
    if request.htmx:
        template += "#example-list"
    return render(request, template, ctx)


@login_required
@require_GET
def version_diff_view(request: AuthedHtmxRequest, dataset_id: int, number: int) -> HttpResponse:
    version = version_get_for_user(user=request.user, dataset_id=dataset_id, number=number)
    ctx = {"version": version, "dataset": version.dataset,
           **services.version_diff_rows(version=version), **NAV}  # fmt: skip
    return render(request, "datasets_app/version_diff.html", ctx)


@login_required
@require_GET
def version_download(
    request: AuthedHtmxRequest, dataset_id: int, number: int, split: str
) -> FileResponse:
    version = version_get_for_user(user=request.user, dataset_id=dataset_id, number=number)
    stored = {"train": version.train_file, "validation": version.validation_file}.get(split)
    if not stored:
        raise Http404("No such file")
    name = f"{version.dataset.name}-v{version.number}-{split}.jsonl".replace(" ", "_")
    return FileResponse(stored.open("rb"), as_attachment=True, filename=name,
                        content_type="application/jsonl")  # fmt: skip


__all__ = ["IngestionRun"]
