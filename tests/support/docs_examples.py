"""The fenced examples of README.md and docs/*.md, and the mounts they run on, for
tests/test_docs_examples.py and tests/test_docs_outputs.py.

A block is its page, the line of its opening fence, its language and its text.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.management import call_command

REPO_ROOT = Path(__file__).resolve().parents[2]
PAGES = [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").glob("*.md"))]
FENCE = re.compile(
    r"^(?P<indent> *)```(?P<lang>[^\n`]*)\n(?P<body>.*?)^(?P=indent)```[ \t]*$", re.M | re.S
)


@dataclass(frozen=True)
class Block:
    page: Path
    line: int
    lang: str
    text: str

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(REPO_ROOT)}:{self.line}"


def blocks(page: Path) -> list[Block]:
    """Every fenced block of ``page``, list items' indented ones included (dedented)."""
    source = page.read_text()
    found = []
    for match in FENCE.finditer(source):
        indent = len(match["indent"])
        text = "".join(line[indent:] for line in match["body"].splitlines(keepends=True))
        line = source.count("\n", 0, match.start()) + 1
        found.append(Block(page, line, match["lang"].strip(), text))
    return found


def all_blocks(lang: str | None = None) -> list[Block]:
    return [b for page in PAGES for b in blocks(page) if lang is None or b.lang == lang]


def commands(block: Block) -> list[list[str]]:
    """The ``$ ...`` lines of a console block, as argument lists (continuations joined;
    leading VAR=value assignments and trailing # comments dropped)."""
    joined = re.sub(r"\\\n\s*", " ", block.text)
    found = []
    for line in joined.splitlines():
        if not line.startswith("$ "):
            continue
        words = line[2:].split("#", 1)[0].split()
        while words and re.fullmatch(r"[A-Z_][A-Z0-9_]*=\S*", words[0]):
            words.pop(0)
        found.append([word.strip("'\"") for word in words])
    return found


def read(relative: str) -> str:
    return (REPO_ROOT / relative).read_text()


def local_mounts(root: Path, *names: str) -> dict[str, dict[str, Any]]:
    return {name: {"type": "local", "path": str(root / name)} for name in names}


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


def s3_make_bucket(storage_options: dict[str, Any], *buckets: str) -> None:
    import s3fs

    fs = s3fs.S3FileSystem(**storage_options)
    for bucket in buckets:
        if not fs.exists(bucket):
            fs.mkdir(bucket)
