"""The pages: the documents (searchable, paginated), one document, the upload form, the sync."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from genro_storage_django import node_for
from genro_storage_django.core import StorageError

from .forms import DocumentForm
from .models import Document

PAGE_SIZE = 10
# The upload page's script sends the form with this header to follow its progress: it then
# gets JSON (where to go) or the page with the form's errors and status 400.
PROGRESS_HEADER = "X-Upload-Progress"


@login_required
def document_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    documents = Document.objects.select_related("owner")
    if query:
        documents = documents.filter(
            Q(title__icontains=query) | Q(description__icontains=query) | Q(file__icontains=query)
        )
    page = Paginator(documents, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "documents/list.html", {"page": page, "query": query})


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    document = get_object_or_404(Document.objects.select_related("owner"), pk=pk)
    node = node_for(document.file)
    try:
        stat = node.stat()
    except StorageError:
        stat = None  # listed in the database, gone from the mount: the page says so
    context = {
        "document": document,
        "node": node,
        "stat": stat,
        "can_delete": _may_delete(request, document),
    }
    return render(request, "documents/detail.html", context)


@login_required
@require_POST
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    document = get_object_or_404(Document, pk=pk)
    if not _may_delete(request, document):
        raise PermissionDenied("only its owner or staff may delete a document")
    title = document.title
    document.delete()  # its files too: see models._delete_files
    messages.success(request, f"Deleted “{title}” and its files.")
    return redirect("documents:list")


def _may_delete(request: HttpRequest, document: Document) -> bool:
    user = request.user
    return bool(user.is_staff or (document.owner_id is not None and document.owner_id == user.pk))


@login_required
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest) -> HttpResponse:
    with_progress = request.headers.get(PROGRESS_HEADER) == "1"
    if request.method == "POST":
        form = DocumentForm(request.POST, request.FILES)
        if form.is_valid():
            document = form.save(commit=False)
            document.owner = request.user if request.user.is_authenticated else None
            document.save()
            messages.success(request, f"Uploaded “{document.title}”.")
            if with_progress:
                return JsonResponse({"location": reverse("documents:list")})
            return redirect("documents:list")
    else:
        form = DocumentForm()
    status = 400 if with_progress else 200
    return render(request, "documents/upload.html", {"form": form}, status=status)
