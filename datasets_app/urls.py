from __future__ import annotations

from django.urls import path

from datasets_app import views

app_name = "datasets_app"

urlpatterns = [
    path("datasets/", views.dataset_list, name="dataset-list"),
    path("projects/<slug:slug>/datasets/", views.project_datasets, name="project-datasets"),
    path("datasets/<int:dataset_id>/", views.dataset_detail, name="dataset-detail"),
    path(
        "datasets/<int:dataset_id>/versions/<int:number>/",
        views.version_detail,
        name="version-detail",
    ),
]
