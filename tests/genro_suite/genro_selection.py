"""Which of genro-storage's tests count for issue 14, and what each one did.

The rule (the same on this project and on genro-storage itself):

- whole files left out: other backends (S3 via MinIO, HTTP, SMB/SFTP/WebDAV/git/GCS/Azure
  through optional packages or services), encryption, versioning, and the notebooks;
- in the remaining files, a test is left out when it asks for a MinIO/S3 fixture, when its
  name speaks of HTTP (another backend), or of encryption, versions or metadata (those count
  for the encryption, versioning and metadata issue).

With ``GENRO_SUITE_OUTCOMES=<file>``, each selected test's outcome (passed, failed, error,
skipped) is written there as JSON, keyed by test id, for ``scripts/genro-suite`` to compare.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

LEFT_OUT_FILES = frozenset(
    {
        "test_s3_integration.py",
        "test_s3_versioning.py",
        "test_additional_backends.py",
        "test_new_backends.py",
        "test_http_backend.py",
        "test_encryption.py",
        "test_versioning_edge_cases.py",
        "test_notebooks.py",
    }
)
CLOUD_FIXTURES = ("minio_", "s3_", "storage_with_s3")
LEFT_OUT_WORDS = ("encrypt", "version", "metadata", "http")

_outcomes: dict[str, str] = {}


def selected(item: pytest.Item) -> bool:
    if Path(str(item.path)).name in LEFT_OUT_FILES:
        return False
    if any(name.startswith(CLOUD_FIXTURES) for name in getattr(item, "fixturenames", ())):
        return False
    name = item.name.lower()
    return not any(word in name for word in LEFT_OUT_WORDS)


def pytest_ignore_collect(collection_path: Path) -> bool | None:
    # Not even imported: these files need packages or services outside the selection.
    return True if collection_path.name in LEFT_OUT_FILES else None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    kept = [item for item in items if selected(item)]
    dropped = [item for item in items if not selected(item)]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
    items[:] = kept


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call":
        _outcomes[report.nodeid] = report.outcome
    elif report.failed:  # setup or teardown: a teardown error overrides the call's pass
        _outcomes[report.nodeid] = "error"
    elif report.skipped:
        _outcomes[report.nodeid] = "skipped"


def pytest_collectreport(report: pytest.CollectReport) -> None:
    # A file that cannot be imported (a missing name) fails all its tests: counted by file.
    if report.failed:
        _outcomes[report.nodeid] = "collection error"


def pytest_sessionfinish(session: pytest.Session) -> None:
    target = os.environ.get("GENRO_SUITE_OUTCOMES")
    if target:
        Path(target).write_text(json.dumps(_outcomes, indent=1, sort_keys=True))
