"""File fields whose files expose the core node: ``instance.document.node``.

``MountFileField`` and ``MountImageField`` are Django's ``FileField`` and
``ImageField`` with one addition on the value: ``.node``, the core's
:class:`~genro_storage_django.core.StorageNode` of the file, for streaming or
copying it without Django's ``File``. Their storage must be a ``MountStorage``
(``storage=mount("uploads")``). With plain Django fields, use
:func:`genro_storage_django.storage.node_for`.
"""

from __future__ import annotations

from django.db.models.fields.files import FieldFile, FileField, ImageField, ImageFieldFile

from .core import StorageNode
from .storage import node_for

__all__ = ["MountFieldFile", "MountFileField", "MountImageField", "MountImageFieldFile"]


class MountFieldFile(FieldFile):
    @property
    def node(self) -> StorageNode:
        return node_for(self)


class MountImageFieldFile(ImageFieldFile):
    @property
    def node(self) -> StorageNode:
        return node_for(self)


class MountFileField(FileField):
    attr_class = MountFieldFile


class MountImageField(ImageField):
    attr_class = MountImageFieldFile
