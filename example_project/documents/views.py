"""The pages: the documents table, the upload form, and the sync to the archive."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.management import CommandError, call_command
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from genro_storage_django import get_manager
from genro_storage_django.core import StorageError

from .forms import DocumentForm, SyncForm
from .models import Document


@login_required
def document_list(request: HttpRequest) -> HttpResponse:
    documents = Document.objects.select_related("owner")
    return render(request, "documents/list.html", {"documents": documents})


@login_required
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = DocumentForm(request.POST, request.FILES)
        if form.is_valid():
            document = form.save(commit=False)
            document.owner = request.user if request.user.is_authenticated else None
            document.save()
            messages.success(request, f"Uploaded “{document.title}”.")
            return redirect("documents:list")
    else:
        form = DocumentForm()
    return render(request, "documents/upload.html", {"form": form})


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
        report, error = run_command(command)
    context = {
        "form": form,
        "report": report,
        "error": error,
        "command": " ".join(["manage.py", *command]),
        "archive": archive_listing(),
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
    lines = out.getvalue().strip().splitlines()
    report = json.loads(lines[-1]) if lines else None
    return report, error


def archive_listing() -> list[ArchivedFile] | None:
    """What the archive holds (None if it cannot be listed, e.g. a bucket that is missing)."""
    try:
        found = list(get_manager().node("archive:").walk_files())
    except StorageError:
        return None
    return [
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
