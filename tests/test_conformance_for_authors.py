"""The conformance suite as a backend author runs it: docs/core.md's example, run by pytest
in a project of its own (this repo's conftest and pytest options out of the way)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from genro_storage_django.testing.conformance import BackendConformance
from tests.support.docs_examples import REPO_ROOT, blocks


def suite_size() -> int:
    """How many tests one run of the suite is: one per method, times its parameters."""
    total = 0
    for name in dir(BackendConformance):
        if name.startswith("test_"):
            cases = 1
            for mark in getattr(getattr(BackendConformance, name), "pytestmark", []):
                if mark.name == "parametrize":
                    cases *= len(mark.args[1])
            total += cases
    return total


def test_the_documented_subclass_runs_the_whole_suite(tmp_path: Path) -> None:
    (example,) = [
        block
        for block in blocks(REPO_ROOT / "docs" / "core.md")
        if block.lang == "python" and "BackendConformance" in block.text
    ]
    (tmp_path / "test_my_backend.py").write_text(example.text)
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:django"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    # Every test of the suite ran, none skipped.
    summary = result.stdout.strip().splitlines()[-1]
    assert summary.startswith(f"{suite_size()} passed in"), summary
