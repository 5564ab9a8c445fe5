from __future__ import annotations

from django.urls import path

from jobs_app import views

app_name = "jobs_app"

urlpatterns = [
    path("jobs/", views.job_list, name="job-list"),
    path("projects/<slug:slug>/jobs/", views.project_jobs, name="project-jobs"),
    path("projects/<slug:slug>/jobs/new/", views.job_create, name="job-create"),
    path("jobs/<int:job_id>/", views.job_detail, name="job-detail"),
    path("jobs/<int:job_id>/<str:action>/", views.job_action, name="job-action"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("manage/", views.admin_home, name="admin-home"),
]
