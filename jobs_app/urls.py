from __future__ import annotations

from django.urls import path

from jobs_app import views, views_budgets, views_credentials

app_name = "jobs_app"

urlpatterns = [
    path("jobs/", views.job_list, name="job-list"),
    path("projects/<slug:slug>/jobs/", views.project_jobs, name="project-jobs"),
    path("projects/<slug:slug>/jobs/new/", views.job_create, name="job-create"),
    path("jobs/<int:job_id>/", views.job_detail, name="job-detail"),
    path("jobs/<int:job_id>/<str:action>/", views.job_action, name="job-action"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("manage/", views.admin_home, name="admin-home"),
    path("spend/", views_budgets.spend, name="spend"),
    path("manage/budgets/", views_budgets.budgets, name="budgets"),
    path("manage/budgets/<slug:slug>/", views_budgets.project_budget, name="project-budget"),
    path("manage/credentials/", views_credentials.credential_list, name="credential-list"),
    path("manage/credentials/new/", views_credentials.credential_create, name="credential-create"),
    path(
        "manage/credentials/<int:credential_id>/",
        views_credentials.credential_edit,
        name="credential-edit",
    ),
    path(
        "manage/credentials/<int:credential_id>/rotate/",
        views_credentials.credential_rotate,
        name="credential-rotate",
    ),
    path(
        "manage/credentials/<int:credential_id>/test/",
        views_credentials.credential_test,
        name="credential-test",
    ),
    path(
        "manage/credentials/<int:credential_id>/delete/",
        views_credentials.credential_delete,
        name="credential-delete",
    ),
    path(
        "manage/credentials/<int:credential_id>/assign/",
        views_credentials.credential_assign,
        name="credential-assign",
    ),
]
