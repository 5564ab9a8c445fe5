from __future__ import annotations

from django.urls import path

from sandbox import views

app_name = "sandbox"

urlpatterns = [
    path("files", views.files, name="files"),
    path("files/<str:file_id>", views.file_detail, name="file-detail"),
    path("files/<str:file_id>/content", views.file_content, name="file-content"),
    path("fine_tuning/jobs", views.jobs, name="jobs"),
    path("fine_tuning/jobs/<str:job_id>", views.job_detail, name="job-detail"),
    path("fine_tuning/jobs/<str:job_id>/events", views.job_events, name="job-events"),
    path(
        "fine_tuning/jobs/<str:job_id>/checkpoints", views.job_checkpoints, name="job-checkpoints"
    ),
    path("fine_tuning/jobs/<str:job_id>/<str:action>", views.job_action, name="job-action"),
    path("models", views.models, name="models"),
    path("models/<path:model_id>", views.model_detail, name="model-detail"),
    path("chat/completions", views.chat_completions, name="chat-completions"),
    path("_control", views.control, name="control"),
]
