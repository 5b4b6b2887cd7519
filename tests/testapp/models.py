"""A model whose files live on the ``uploads`` mount, whatever that mount is."""

from __future__ import annotations

from django.db import models

from genro_storage_django import mount
from genro_storage_django.fields import MountFileField


class Document(models.Model):
    title = models.CharField(max_length=100)
    file = models.FileField(storage=mount("uploads"), upload_to="documents/")
    image = models.ImageField(
        storage=mount("uploads"),
        upload_to="images/",
        blank=True,
        width_field="width",
        height_field="height",
    )
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    attachment = MountFileField(storage=mount("uploads"), upload_to="attachments/", blank=True)

    def __str__(self) -> str:
        return self.title
