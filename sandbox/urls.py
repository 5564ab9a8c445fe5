from __future__ import annotations

app_name = "sandbox"

urlpatterns: list[object] = []
