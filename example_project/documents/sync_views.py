"""The sync page: ``manage.py storage_sync uploads: archive: --json``, run and shown."""

from __future__ import annotations

import io
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.management import CommandError, call_command
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from genro_storage_django import get_manager

from .forms import SyncForm

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ArchivedFile:
    path: str
    size: int
    modified: datetime | None


@login_required
@require_http_methods(["GET", "POST"])
def sync_to_archive(request: HttpRequest) -> HttpResponse:
    """Run ``manage.py storage_sync uploads: archive: --json`` and show its report."""
    report: dict[str, Any] | None = None
    error = ""
    command: list[str] = []
    form = SyncForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        command = ["storage_sync", "uploads:", "archive:", "--json"]
        if form.cleaned_data["dry_run"]:
            command.append("--dry-run")
        if form.cleaned_data["delete"]:
            command += ["--delete", "--noinput"]
            if form.cleaned_data["force"]:
                command.append("--force")
        report, error = run_command(command)
    archive, archive_error = archive_listing()
    context = {
        "form": form,
        "report": report,
        "error": error,
        "command": " ".join(["manage.py", *command]),
        "archive": archive,
        "archive_error": archive_error,
        "archive_type": get_manager().get_mount("archive").type_name,
    }
    return render(request, "documents/sync.html", context)


def run_command(command: list[str]) -> tuple[dict[str, Any] | None, str]:
    """Run a management command with ``--json``: its report (last line) and any error."""
    out, err = io.StringIO(), io.StringIO()
    error = ""
    try:
        call_command(*command, stdout=out, stderr=err)
    except CommandError as exc:
        error = str(exc)
    except Exception as exc:
        # A demo page shows what went wrong (a bucket without credentials, an endpoint that
        # does not answer...) rather than a server error; the log keeps the traceback.
        logger.exception("%s failed", " ".join(command))
        error = describe(exc)
    lines = out.getvalue().strip().splitlines()
    report = json.loads(lines[-1]) if lines else None
    return report, error


def archive_listing() -> tuple[list[ArchivedFile] | None, str]:
    """What the archive holds, or None and why it cannot be listed (e.g. no credentials)."""
    try:
        found = list(get_manager().node("archive:").walk_files())
    except Exception as exc:  # shown on the page, as run_command does
        logger.exception("listing the archive failed")
        return None, describe(exc)
    listing = [
        ArchivedFile(
            path=node.path,
            size=stat.size,
            modified=(
                datetime.fromtimestamp(stat.mtime, tz=timezone.utc)
                if stat.mtime is not None
                else None
            ),
        )
        for node, stat in sorted(found, key=lambda item: item[0].path)
    ]
    return listing, ""


def describe(exc: BaseException) -> str:
    """One line for the page: the exception's type (botocore's say the most) and message."""
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
