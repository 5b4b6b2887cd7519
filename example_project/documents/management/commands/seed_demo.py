"""``manage.py seed_demo``: the demo user and a few documents; running it again changes nothing."""

from __future__ import annotations

import io
import zlib
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandError, CommandParser

from documents.models import Document

WELCOME = """Welcome to Paperwork, the genro-storage-django demo.

This file lives on the `uploads` mount (a local directory by default). The documents
page links to it through signed URLs that expire after an hour; the same URL without
its signature is refused with 403.

Try "Sync to archive": it copies the uploads to the `archive` mount, which is a local
directory unless DEMO_ARCHIVE_S3_BUCKET names an S3 bucket.
"""


class Command(BaseCommand):
    help = (
        "Create the demo superuser (demo/demo unless told otherwise) and a few demo "
        "documents. Idempotent. For the demo only: refuses to run with DEBUG off."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default="demo")
        parser.add_argument("--password", default="demo")
        parser.add_argument(
            "--no-documents", action="store_true", help="create the user only, no documents"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("seed_demo creates a well-known login: it runs with DEBUG on only")
        user_model = get_user_model()
        user, created = user_model.objects.get_or_create(
            username=options["username"], defaults={"is_staff": True, "is_superuser": True}
        )
        if created:
            user.set_password(options["password"])
            user.save()
            self.stdout.write(f"created the superuser {user.get_username()!r}")
        if options["no_documents"]:
            return
        made = 0
        for title, description, filename, content, cover in demo_documents():
            if Document.objects.filter(title=title).exists():
                continue
            document = Document(title=title, description=description, owner=user)
            document.file.save(filename, ContentFile(content), save=False)
            if cover is not None:
                document.cover.save(
                    f"{filename.rsplit('.', 1)[0]}.png", ContentFile(cover), save=False
                )
            document.save()
            made += 1
        self.stdout.write(f"created {made} demo document(s)" if made else "demo data present")


def demo_documents() -> list[tuple[str, str, str, bytes, bytes | None]]:
    """(title, description, file name, content, cover PNG or None)."""
    rows = "\n".join(
        f"2026-{month:02d},{1200 + 37 * month},{880 + 21 * month}" for month in range(1, 13)
    )
    return [
        (
            "Welcome letter",
            "What this demo shows, in plain text.",
            "welcome.txt",
            WELCOME.encode(),
            None,
        ),
        (
            "Monthly figures 2026",
            "A CSV of income and costs per month.",
            "figures-2026.csv",
            f"month,income,costs\n{rows}\n".encode(),
            png_cover((47, 111, 235)),
        ),
        (
            "Quarterly report",
            "A one-page PDF, opened inline in the browser.",
            "quarterly-report.pdf",
            one_page_pdf("Quarterly report: all figures are fictional."),
            png_cover((18, 122, 74)),
        ),
    ]


def png_cover(rgb: tuple[int, int, int], size: int = 80) -> bytes:
    """A plain square PNG, written by hand (no imaging library needed)."""
    row = b"\x00" + bytes(rgb) * size
    raw = zlib.compress(row * size)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    header = size.to_bytes(4, "big") * 2 + bytes([8, 2, 0, 0, 0])
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def one_page_pdf(text: str) -> bytes:
    """A minimal valid PDF with one line of text."""
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    )
    return out.getvalue()
