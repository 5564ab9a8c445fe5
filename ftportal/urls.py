from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from ftportal import views, views_admin

portal_patterns = [
    path("projects/", views.project_list, name="project-list"),
    path("projects/new/", views.project_create, name="project-create"),
    path("projects/<slug:slug>/", views.project_detail, name="project-detail"),
    path("projects/<slug:slug>/edit/", views.project_edit, name="project-edit"),
    path("manage/users/", views_admin.user_list, name="user-list"),
    path("manage/users/new/", views_admin.user_create, name="user-create"),
    path("manage/users/<int:user_id>/", views_admin.user_edit, name="user-edit"),
    path("manage/audit/", views_admin.audit, name="audit"),
    path("manage/audit.csv", views_admin.audit_csv, name="audit-csv"),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("", include((portal_patterns, "ftportal"))),
    path("accounts/login/", views.RateLimitedLoginView.as_view(), name="login"),
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("accounts/notifications/", views.notification_settings, name="notification-settings"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("", include("datasets_app.urls")),
    path("", include("jobs_app.urls")),
    path("sandbox/v1/", include("sandbox.urls")),
    path("admin/", admin.site.urls),
]
