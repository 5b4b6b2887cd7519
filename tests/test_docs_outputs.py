"""The outputs the documentation shows are what the code prints: a sync's summary lines and
JSON report, ``storage_ls -l``, a signed URL, a ``Content-Disposition``; the timeout options
of the production page; the templates render; nginx's and Apache's paths are the page's
mounts'; the YAML, the toctrees and the README's layout name things that exist.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

import pytest
import yaml
from django.core.files.base import ContentFile
from django.template import Context, Template
from django.test import override_settings

from genro_storage_django import get_manager
from genro_storage_django.core import StorageManager
from genro_storage_django.core.backends import BUILTIN_TYPES
from genro_storage_django.core.config import load_mount_configs
from genro_storage_django.serving.responses import content_disposition
from tests.support.docs_examples import (
    REPO_ROOT,
    Block,
    all_blocks,
    blocks,
    local_mounts,
    manage,
    read,
    s3_make_bucket,
    seeded_mounts,
)
from tests.support.servers import S3Server


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
def test_storage_ls_output_is_the_command_s(s3_server: S3Server) -> None:
    """On S3, as the docs' ``archive`` is: a directory is a prefix, with no time."""
    text = shown("docs/commands.md", "text", "storage_ls")
    command, *lines = text.strip().splitlines()
    archive = {
        "type": "s3",
        "bucket": "docs-ls",
        "endpoint_url": s3_server.endpoint_url,
        "key": s3_server.key,
        "secret": s3_server.secret,
    }
    with override_settings(STORAGE_MOUNTS={"archive": archive}):
        s3_make_bucket(s3_server.storage_options, "docs-ls")
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
    from genro_storage_django.core.backends import timeouts
    from tests.support.servers import AZURE_ACCOUNT, AZURE_KEY

    (row,) = re.findall(
        r"^\| S3, GCS and Azure calls \| (.*?) \| (.*?) \|", read("docs/production.md"), re.M
    )
    assert re.findall(r"`(\w+)`", row[0]) == ["connect_timeout", "read_timeout", "retries"]
    defaults = (timeouts.CONNECT_TIMEOUT, timeouts.READ_TIMEOUT, timeouts.RETRIES)
    assert row[1] == "{:g} s, {:g} s, {}".format(*defaults)
    azure = (
        f"DefaultEndpointsProtocol=http;AccountName={AZURE_ACCOUNT};AccountKey={AZURE_KEY};"
        f"BlobEndpoint=http://127.0.0.1:9/{AZURE_ACCOUNT};"
    )
    limits = {"connect_timeout": 2, "read_timeout": 7, "retries": 4}
    manager = StorageManager(
        {
            "s3": {"type": "s3", "bucket": "acme", "key": "k", "secret": "s", **limits},
            "gcs": {"type": "gcs", "bucket": "acme", "token": "anon", **limits},
            "az": {"type": "azure", "container": "acme", "connection_string": azure, **limits},
        }
    )
    s3 = manager.get_mount("s3").backend.base_fs
    assert s3.config_kwargs["connect_timeout"] == 2
    assert s3.config_kwargs["read_timeout"] == 7
    assert s3.config_kwargs["retries"] == {"max_attempts": 4, "mode": "standard"}
    gcs = manager.get_mount("gcs").backend.base_fs
    assert (gcs.requests_timeout.sock_connect, gcs.requests_timeout.sock_read) == (2, 7)
    assert gcs.retries == 5  # attempts: the first and four more
    # What the blob client is rebuilt with (test_cloud_errors times it against a silent server).
    client_options = manager.get_mount("az").backend.base_fs.client_options
    assert client_options["retry_total"] == 4
    assert (client_options["connection_timeout"], client_options["read_timeout"]) == (2, 7)


@pytest.mark.parametrize("block", all_blocks("json"), ids=lambda b: b.where)
def test_json_examples_parse(block: Block) -> None:
    json.loads(block.text)


# ------------------------------------------------------------ templates and servers


@pytest.mark.django_db
@pytest.mark.parametrize("block", all_blocks("django"), ids=lambda b: b.where)
def test_template_examples_render(block: Block, tmp_path: Path) -> None:
    from tests.testapp.models import Document

    mounts = local_mounts(tmp_path, "uploads", "public", "avatars", "archive")
    # {% storage_upload_form %} links its script with {% static %}: the static mount's URL.
    mounts["static"] = {"type": "local", "path": str(tmp_path / "static"), "base_url": "/static/"}
    source = block.text if "{% load" in block.text else "{% load genro_storage %}" + block.text
    with override_settings(STORAGE_MOUNTS=mounts):
        document = Document(title="Q3")
        document.file.save("q3.pdf", ContentFile(b"%PDF-1.4\n"), save=True)
        html = Template(source).render(Context({"document": document}))
    if "storage_url document.file" in source:
        assert "/files/uploads/documents/q3.pdf?" in html.replace("&amp;", "&")
    if "storage_upload_form" in source:
        assert '<form class="gsd-direct-upload" data-endpoint="/direct/"' in html


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


def test_core_diffnode_output_is_the_one_shown() -> None:
    manager = StorageManager({"uploads": {"type": "memory"}})
    manager.node("uploads:parts/body.md").write_text("Sales rose.\n")
    manager.node("uploads:parts/body-v2.md").write_text("Sales rose by 4%.\n")
    diff = manager.diffnode("uploads:parts/body.md", "uploads:parts/body-v2.md").read()
    assert diff == shown("docs/core.md", "text", "+++ uploads:parts/body-v2.md").lstrip("\n")
