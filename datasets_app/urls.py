from __future__ import annotations

from django.urls import path

from datasets_app import views

app_name = "datasets_app"

urlpatterns = [
    path("datasets/", views.dataset_list, name="dataset-list"),
    path("projects/<slug:slug>/datasets/", views.project_datasets, name="project-datasets"),
    path("projects/<slug:slug>/datasets/new/", views.dataset_create, name="dataset-create"),
    path("datasets/<int:dataset_id>/", views.dataset_detail, name="dataset-detail"),
    path("datasets/<int:dataset_id>/upload/", views.dataset_upload, name="dataset-upload"),
    path(
        "datasets/<int:dataset_id>/sources/<int:source_id>/map/",
        views.source_map,
        name="source-map",
    ),
    path("datasets/<int:dataset_id>/runs/<int:run_id>/", views.run_detail, name="run-detail"),
    path(
        "datasets/<int:dataset_id>/runs/<int:run_id>/cancel/", views.run_cancel, name="run-cancel"
    ),
    path("datasets/<int:dataset_id>/runs/<int:run_id>/rerun/", views.run_rerun, name="run-rerun"),
    path(
        "datasets/<int:dataset_id>/runs/<int:run_id>/problems.csv",
        views.run_problems_csv,
        name="run-problems-csv",
    ),
    path(
        "datasets/<int:dataset_id>/versions/<int:number>/",
        views.version_detail,
        name="version-detail",
    ),
    path(
        "datasets/<int:dataset_id>/versions/<int:number>/examples/",
        views.version_examples_view,
        name="version-examples",
    ),
    path(
        "datasets/<int:dataset_id>/versions/<int:number>/diff/",
        views.version_diff_view,
        name="version-diff",
    ),
    path(
        "datasets/<int:dataset_id>/versions/<int:number>/<str:split>.jsonl",
        views.version_download,
        name="version-download",
    ),
]
