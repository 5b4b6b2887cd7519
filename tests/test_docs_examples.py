"""Every example of README.md and docs/*.md runs, or is checked against what it shows.

- python: each page's blocks run in order in one namespace, in a temporary directory
  (``/srv/...`` paths land there), S3 buckets on moto's server; mounts the page defines
  must pass the package's system checks, and later blocks run on them.
- console: ``manage.py`` commands run on local mounts; scripts, modules, extras and tools
  exist.
- text / json: the outputs shown (a sync's summary line and JSON report, ``storage_ls -l``,
  a signed URL, a ``Content-Disposition``) are compared with what the code prints.
- django: templates render. nginx / apache: their paths match the page's mounts.
- yaml, toctree and the README's layout: they load, and name things that exist.

A block no check knows fails ``test_every_block_has_a_check``: new examples cannot slip by.
"""

from __future__ import annotations

import importlib.util
import io
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import pytest
import yaml
from django.core.checks import Error
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.template import Context, Template
from django.test import override_settings
from django.test.utils import isolate_apps

from genro_storage_django import get_manager
from genro_storage_django.checks import check_storage_mounts
from genro_storage_django.core.backends import BUILTIN_TYPES
from genro_storage_django.core.config import load_mount_configs
from genro_storage_django.serving import content_disposition
from tests._server_process import environment
from tests.docs_examples import PAGES, REPO_ROOT, Block, all_blocks, blocks, commands
from tests.servers import S3Server

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


def local_mounts(root: Path, *names: str) -> dict[str, dict[str, Any]]:
    return {name: {"type": "local", "path": str(root / name)} for name in names}


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


def s3_make_bucket(s3_server: S3Server, *buckets: str) -> None:
    import s3fs

    fs = s3fs.S3FileSystem(**s3_server.storage_options)
    for bucket in buckets:
        if not fs.exists(bucket):
            fs.mkdir(bucket)


def create_buckets(page: Path, s3_server: S3Server) -> None:
    s3_make_bucket(s3_server, *set(re.findall(r'"bucket": "([^"]+)"', page.read_text())))


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


def seeded_mounts(root: Path) -> dict[str, dict[str, Any]]:
    """``uploads`` with the files the commands' examples name; ``archive`` empty."""
    mounts = local_mounts(root, "uploads", "archive")
    for name, size in (("reports/q3.pdf", 4096), ("a.pdf", 2048), ("b.pdf", 10)):
        target = root / "uploads" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(b"x" * size)
    return mounts


def manage(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


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


def read(relative: str) -> str:
    return (REPO_ROOT / relative).read_text()


# ------------------------------------------------------------------ outputs shown


def normalized(text: str) -> str:
    """``text`` with every number (a size's unit too) as N and runs of blanks as one."""
    text = re.sub(r"\d+(?:\.\d+)?(?: (?:B|KB|MB|GB))?", "N", text.strip())
    return re.sub(r"[ \t]+", " ", text)


def shown(page: str, lang: str, containing: str) -> str:
    (text,) = [b.text for b in blocks(REPO_ROOT / page) if b.lang == lang and containing in b.text]
    return text


def test_sync_outputs_are_the_commands(tmp_path: Path) -> None:
    with override_settings(STORAGE_MOUNTS=seeded_mounts(tmp_path)):
        dry = manage("storage_sync", "uploads:", "archive:", "--dry-run")
        done = manage("storage_sync", "uploads:", "archive:")
        report = json.loads(
            manage("storage_sync", "uploads:", "archive:", "--json").splitlines()[-1]
        )
    assert normalized(shown("docs/commands.md", "text", "copied ")) == normalized(done)
    assert normalized(shown("docs/commands.md", "text", "would copy")) == normalized(dry)
    example = json.loads(shown("docs/commands.md", "json", '"copied"'))
    assert set(example) == set(report)
    assert {k: type(v) for k, v in example.items()} == {k: type(v) for k, v in report.items()}
    assert example["skipped"][0].keys() == report["skipped"][0].keys()


@pytest.mark.cloud
def test_storage_ls_output_is_the_command_s(sandbox: Path, s3_server: S3Server) -> None:
    """On S3, as the docs' ``archive`` is: a directory is a prefix, with no time."""
    text = shown("docs/commands.md", "text", "storage_ls")
    command, *lines = text.strip().splitlines()
    archive = {"type": "s3", "bucket": "docs-ls", "endpoint_url": s3_server.endpoint_url}
    with override_settings(STORAGE_MOUNTS={"archive": archive}):
        s3_make_bucket(s3_server, "docs-ls")
        get_manager().node("archive:2026/a.pdf").write_bytes(b"x" * 2048)
        get_manager().node("archive:2026/q3/b.pdf").write_bytes(b"x")
        printed = manage(*command.split()[3:]).strip().splitlines()
    assert [normalized(line) for line in printed] == [normalized(line) for line in lines]


def test_signed_url_shape(tmp_path: Path) -> None:
    example = urlsplit(shown("docs/serving.md", "text", "?exp=").strip())
    mounts = {"invoices": {**local_mounts(tmp_path, "invoices")["invoices"], "serve": "signed"}}
    with override_settings(STORAGE_MOUNTS=mounts):
        url = urlsplit(get_manager().node("invoices:2026/INV-0042.pdf").signed_url(download=True))
    assert url.path == example.path
    assert [k for k, _ in parse_qsl(url.query)] == [k for k, _ in parse_qsl(example.query)]
    assert len(dict(parse_qsl(url.query))["sig"]) == len(dict(parse_qsl(example.query))["sig"])


def test_content_disposition_shown_is_the_header() -> None:
    header = shown("docs/serving.md", "text", "Content-Disposition").strip()
    name = unquote(header.split("UTF-8''")[1])
    assert header == "Content-Disposition: " + content_disposition(True, name)


def test_timeout_options_of_the_production_page_reach_the_filesystems() -> None:
    from genro_storage_django.core import StorageManager
    from tests.servers import AZURE_ACCOUNT, AZURE_KEY

    rows = dict(
        re.findall(r"^\| (\w+) calls \| `options: (\{.*?\})` \|", read("docs/production.md"), re.M)
    )
    options = {kind: json.loads(text) for kind, text in rows.items()}
    assert set(options) == {"S3", "GCS", "Azure"}
    azure = (
        f"DefaultEndpointsProtocol=http;AccountName={AZURE_ACCOUNT};AccountKey={AZURE_KEY};"
        f"BlobEndpoint=http://127.0.0.1:9/{AZURE_ACCOUNT};"
    )
    manager = StorageManager(
        {
            "s3": {
                "type": "s3",
                "bucket": "acme",
                "key": "k",
                "secret": "s",
                "options": options["S3"],
            },
            "gcs": {"type": "gcs", "bucket": "acme", "token": "anon", "options": options["GCS"]},
            "az": {
                "type": "azure",
                "container": "acme",
                "connection_string": azure,
                "options": options["Azure"],
            },
        }
    )
    s3 = manager.get_mount("s3").backend.base_fs
    assert options["S3"]["config_kwargs"].items() <= s3.config_kwargs.items()
    assert (
        manager.get_mount("gcs").backend.base_fs.requests_timeout
        == options["GCS"]["requests_timeout"]
    )
    assert manager.get_mount("az").backend.base_fs is not None  # adlfs took the keywords


@pytest.mark.parametrize("block", all_blocks("json"), ids=lambda b: b.where)
def test_json_examples_parse(block: Block) -> None:
    json.loads(block.text)


# ------------------------------------------------------------ templates and servers


@pytest.mark.django_db
@pytest.mark.parametrize("block", all_blocks("django"), ids=lambda b: b.where)
def test_template_examples_render(block: Block, tmp_path: Path) -> None:
    from tests.testapp.models import Document

    mounts = local_mounts(tmp_path, "uploads", "public", "avatars", "archive")
    source = block.text if "{% load" in block.text else "{% load genro_storage %}" + block.text
    with override_settings(STORAGE_MOUNTS=mounts):
        document = Document(title="Q3")
        document.file.save("q3.pdf", ContentFile(b"%PDF-1.4\n"), save=True)
        html = Template(source).render(Context({"document": document}))
    if "storage_url document.file" in source:
        assert "/files/uploads/documents/q3.pdf?" in html.replace("&amp;", "&")


def page_paths(page: Path) -> tuple[set[str], set[str]]:
    """The local mount paths and the offload prefixes the page's python blocks set."""
    text = "".join(b.text for b in blocks(page) if b.lang == "python")
    return set(re.findall(r'"path": "(/[^"]+)"', text)), set(
        re.findall(r'"offload_prefix": "([^"]+)"', text)
    )


@pytest.mark.parametrize("block", all_blocks("nginx") + all_blocks("apache"), ids=lambda b: b.where)
def test_web_server_examples_match_the_mounts(block: Block) -> None:
    paths, prefixes = page_paths(block.page)
    if block.lang == "apache":
        assert set(re.findall(r"XSendFilePath (\S+)", block.text)) <= paths
        return
    assert block.text.count("{") == block.text.count("}")
    internal = re.findall(r"location (\S+) \{\s*internal;\s*alias (\S+);", block.text)
    assert internal, block.where
    for location, alias in internal:
        assert location in prefixes, f"{block.where}: {location} is no mount's offload_prefix"
        assert alias.endswith("/") and alias.rstrip("/") in paths, block.where


@pytest.mark.parametrize("block", all_blocks("yaml"), ids=lambda b: b.where)
def test_yaml_examples_load(block: Block) -> None:
    configs = load_mount_configs(yaml.safe_load(block.text))
    assert {config["type"] for config in configs} <= set(BUILTIN_TYPES)


def test_toctrees_and_layout_name_what_exists() -> None:
    for block in all_blocks("{toctree}"):
        for entry in block.text.splitlines():
            if entry and not entry.startswith(":"):
                assert (REPO_ROOT / "docs" / f"{entry}.md").is_file(), block.where
    (layout,) = [b for b in blocks(REPO_ROOT / "README.md") if b.lang == ""]
    for line in layout.text.splitlines():
        if line and not line.startswith(" "):
            assert (REPO_ROOT / line.split()[0]).exists(), line
