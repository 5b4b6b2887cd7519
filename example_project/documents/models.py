"""A document: its file on the ``uploads`` mount, an optional cover image on ``public``."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models.signals import post_delete
from django.dispatch import receiver

from genro_storage_django import mount


class Document(models.Model):
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    # Private: served only through signed, expiring URLs (the mount's `serve: "signed"`).
    file = models.FileField(storage=mount("uploads"), upload_to="documents/%Y/%m/")
    # Public: anyone with the URL may see a cover (the mount's `serve: "public"`).
    cover = models.ImageField(
        storage=mount("public"),
        upload_to="covers/",
        blank=True,
        width_field="cover_width",
        height_field="cover_height",
    )
    cover_width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    cover_height = models.PositiveIntegerField(null=True, blank=True, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="documents",
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-uploaded_at", "-pk"]

    def __str__(self) -> str:
        return self.title


@receiver(post_delete, sender=Document)
def _delete_files(sender: type[Document], instance: Document, **kwargs: Any) -> None:
    """Deleting a document deletes its files (Django leaves them behind by default)."""
    for fieldfile in (instance.file, instance.cover):
        if fieldfile:
            fieldfile.delete(save=False)
