"""The conformance suite on every built-in mount kind.

``writable_root`` (conftest) is parametrised over ``conftest.MOUNT_KINDS``, cloud kinds
included, and the composite kinds (relative and first-of over them).
"""

from __future__ import annotations

from genro_storage_django.testing.conformance import BackendConformance


class TestEveryMountKind(BackendConformance):
    """Every test of :class:`BackendConformance`, on each kind ``writable_root`` gives."""
