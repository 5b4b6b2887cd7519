from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from .models import Document


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["title", "file", "owner", "uploaded_at"]
    list_filter = ["uploaded_at"]
    search_fields = ["title", "description", "file"]
    readonly_fields = ["cover_width", "cover_height", "uploaded_at"]

    def save_model(self, request: HttpRequest, obj: Document, form: object, change: bool) -> None:
        if obj.owner_id is None and request.user.is_authenticated:
            obj.owner = request.user
        super().save_model(request, obj, form, change)
