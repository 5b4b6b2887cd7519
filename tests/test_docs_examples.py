"""Every example of README.md and docs/*.md runs (the outputs they show:
tests/test_docs_outputs.py).

- python: each page's blocks run in order in one namespace, in a temporary directory
  (``/srv/...`` paths land there), S3 buckets on moto's server; mounts the page defines
  must pass the package's system checks, and later blocks run on them.
- console: ``manage.py`` commands run on local mounts; scripts, modules, extras and tools
  exist.

A block no check knows fails ``test_every_block_has_a_check``: new examples cannot slip by.
"""

from __future__ import annotations

import importlib.util
import io
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.checks import Error
from django.core.files.base import ContentFile
from django.test import override_settings
from django.test.utils import isolate_apps

from genro_storage_django import get_manager
from genro_storage_django.checks import check_storage_mounts
from tests.support.docs_examples import (
    PAGES,
    REPO_ROOT,
    Block,
    all_blocks,
    blocks,
    commands,
    local_mounts,
    manage,
    read,
    s3_make_bucket,
    seeded_mounts,
)
from tests.support.server_process import environment
from tests.support.servers import S3Server

CHECKED = {
    "python",
    "console",
    "text",
    "json",
    "django",
    "nginx",
    "apache",
    "yaml",
    "{toctree}",
    "",
}
# Blocks shown but not run, and why (the text they start with).
NOT_RUN = {
    "# before\nfrom genro_storage import": "imports the package one migrates from",
    'with node.local_path("rw") as path:': "runs ImageMagick's mogrify",
}


def test_every_block_has_a_check() -> None:
    unknown = [
        f"{b.where} ({b.lang or 'no language'})" for b in all_blocks() if b.lang not in CHECKED
    ]
    assert unknown == []
    python = [b.text for b in all_blocks("python")]
    stale = [start for start in NOT_RUN if not any(text.startswith(start) for text in python)]
    assert stale == []


# ----------------------------------------------------------------------------- python


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, s3_server: S3Server) -> Iterator[Path]:
    """cwd in a temporary directory, botocore pointed at moto's server, stdin empty."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # a prompt reads end-of-file
    values: dict[str, str | None] = {
        "AWS_ENDPOINT_URL": s3_server.endpoint_url,
        "AWS_ACCESS_KEY_ID": s3_server.key,
        "AWS_SECRET_ACCESS_KEY": s3_server.secret,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_PROFILE": None,
    }
    with environment(values):
        yield tmp_path


def python_pages() -> list[Path]:
    return [page for page in PAGES if any(b.lang == "python" for b in blocks(page))]


def create_buckets(page: Path, s3_server: S3Server) -> None:
    s3_make_bucket(
        s3_server.storage_options, *set(re.findall(r'"bucket": "([^"]+)"', page.read_text()))
    )


def page_namespace(root: Path) -> dict[str, Any]:
    """The names the pages' prose gives their examples (a document, some PDF bytes...)."""
    from django.shortcuts import get_object_or_404
    from django.urls import reverse

    from genro_storage_django import node_for
    from genro_storage_django.storage import MountStorage
    from tests.testapp.models import Document

    (root / "mounts.yaml").write_text("mounts:\n  scratch: {type: memory}\n")  # core.md's file

    def run_ocr(path: str) -> None:
        assert Path(path).is_file()

    return {
        "__name__": "tests.testapp.docs_example",  # models defined by a page land in testapp
        "BASE_DIR": root,
        "pdf_bytes": b"%PDF-1.4 the third quarter\n",
        "run_ocr": run_ocr,
        "document": a_document(),
        "Invoice": Document,
        "get_manager": get_manager,
        "node_for": node_for,
        "get_object_or_404": get_object_or_404,
        "reverse": reverse,
        "storage": MountStorage(mount="invoices"),
    }


def a_document() -> Any:
    """A saved document whose file is on the ``uploads`` mount of the settings in force."""
    from tests.testapp.models import Document

    document = Document(title="Q3 report")
    document.file.save("a.pdf", ContentFile(b"%PDF-1.4 a document\n"), save=True)
    return document


def mount_problems(mounts: dict[str, Any]) -> list[str]:
    with override_settings(STORAGE_MOUNTS=mounts):
        return [str(m) for m in check_storage_mounts(None) if isinstance(m, Error)]


@pytest.mark.cloud
@pytest.mark.django_db
@pytest.mark.parametrize("page", python_pages(), ids=lambda p: p.name)
def test_python_examples_run(page: Path, sandbox: Path, s3_server: S3Server) -> None:
    create_buckets(page, s3_server)
    # The tests' own mounts, on the sandbox, until the page defines its own.
    mounts = local_mounts(sandbox / "default", "uploads", "public", "archive")
    with override_settings(STORAGE_MOUNTS=mounts):
        namespace = page_namespace(sandbox)
    for block in blocks(page):
        if block.lang != "python":
            continue
        source = block.text.replace('"/srv/', f'"{sandbox}/srv/')
        reason = next((why for start, why in NOT_RUN.items() if source.startswith(start)), None)
        if reason:
            compile(source, block.where, "exec")
            continue
        with override_settings(STORAGE_MOUNTS=mounts), isolate_apps("tests.testapp"):
            if source.lstrip().startswith(">>>"):
                run_doctest(block, source, namespace)
            elif source.startswith('"'):  # one mount of a STORAGE_MOUNTS, shown alone
                fragment = eval(compile("{" + source + "}", block.where, "eval"), namespace)
                namespace["STORAGE_MOUNTS"] = {**mounts, **fragment}
            else:
                exec(compile(source, block.where, "exec"), namespace)
        if namespace.get("STORAGE_MOUNTS") not in (None, mounts):
            mounts = dict(namespace["STORAGE_MOUNTS"])
            assert mount_problems(mounts) == [], block.where
            if "uploads" in mounts:
                with override_settings(STORAGE_MOUNTS=mounts):
                    namespace["document"] = a_document()


def run_doctest(block: Block, source: str, namespace: dict[str, Any]) -> None:
    import doctest

    test = doctest.DocTestParser().get_doctest(source, namespace, block.where, None, block.line)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    out = io.StringIO()
    runner.run(test, out=out.write)
    assert runner.failures == 0, out.getvalue()


# ---------------------------------------------------------------------------- console


@pytest.mark.parametrize("block", all_blocks("console"), ids=lambda b: b.where)
def test_console_examples(block: Block, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    extras = re.search(r"\[project\.optional-dependencies\](.*?)\n\[", read("pyproject.toml"), re.S)
    assert extras
    with override_settings(STORAGE_MOUNTS=seeded_mounts(tmp_path)):
        for words in commands(block):
            program, args = words[0], words[1:]
            if program == "python" and args[0] == "manage.py":
                if args[1] == "storage_ls":  # a directory the examples list
                    manage("storage_copy", "uploads:a.pdf", "archive:2026/a.pdf")
                manage(*args[1:])
            elif program.startswith("scripts/"):
                script = REPO_ROOT / program
                assert script.is_file() and script.stat().st_mode & 0o111, block.where
                if program == "scripts/bench" and args and not args[0].startswith("-"):
                    assert (REPO_ROOT / "benchmarks" / f"bench_{args[0]}.py").is_file()
            elif program.endswith("python") and args[0] == "-m":  # a module of this repo
                assert importlib.util.find_spec(args[1]) is not None, block.where
            elif program == "pip":
                extra = re.fullmatch(r"genro-storage-django\[(\w+)\]", args[-1])
                assert extra and re.search(rf"^{extra[1]} = ", extras[1], re.M), block.where
            else:
                assert program in ("az", "aws", "gcloud"), f"{block.where}: {program}?"
