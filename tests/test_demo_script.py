"""``scripts/demo`` and its bootstrap mode, run for real.

The demo runs on this test's interpreter (``GSD_VENV`` = its environment, ``GSD_BOOTSTRAP=none``):
what is checked is the script, its address argument and its banner, not a fresh install
(docs/example.md gives the cold-start figure, measured on a fresh clone). The bootstrap's
choice of what to install is checked on a stand-in virtualenv whose stamp says what it holds.
"""

from __future__ import annotations

import hashlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from tests.support.example_server import EXAMPLE_VARIABLES, REPO_ROOT
from tests.support.server_process import HOST, free_port

DEMO = REPO_ROOT / "scripts" / "demo"
BOOTSTRAP = REPO_ROOT / "scripts" / "_bootstrap.sh"


def demo_environment(var_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in EXAMPLE_VARIABLES}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update(
        GSD_VENV=sys.prefix, GSD_BOOTSTRAP="none", DEMO_VAR_DIR=str(var_dir), PYTHONUNBUFFERED="1"
    )
    env.update(extra)
    return env


class Demo:
    """``scripts/demo ARGS`` in its own process group; its output read line by line."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.started = time.monotonic()
        self.log = log
        self.process = subprocess.Popen(
            [str(DEMO), *args],
            env=env,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,  # runserver and the banner helper die with the group
        )

    def wait_for(self, pattern: str, timeout: float = 90) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = re.search(pattern, self.output())
            if found:
                return found
            if self.process.poll() is not None:
                break
            time.sleep(0.2)
        pytest.fail(f"no {pattern!r} in the demo's output:\n{self.output()[-3000:]}")

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=20)


@pytest.fixture
def start_demo(tmp_path: Path) -> Iterator[Callable[[str], Demo]]:
    """Starts ``scripts/demo ADDRESS --noreload`` on ``tmp_path/var``; stops it afterwards."""
    started: list[Demo] = []

    def start(address: str) -> Demo:
        demo = Demo([address, "--noreload"], demo_environment(tmp_path / "var"), tmp_path / "log")
        started.append(demo)
        return demo

    yield start
    for demo in started:
        demo.stop()


def test_demo_serves_on_the_address_given_and_says_so(
    tmp_path: Path, start_demo: Callable[[str], Demo]
) -> None:
    port = free_port()
    demo = start_demo(f"{HOST}:{port}")
    ready = demo.wait_for(r"is ready \(in (\d+) s\) on\s+(\S+)/ ")
    elapsed = time.monotonic() - demo.started
    assert ready[2] == f"http://{HOST}:{port}"
    assert int(ready[1]) <= elapsed + 1  # the banner's time is the script's own
    assert f"Admin: http://{HOST}:{port}/admin/" in demo.output()
    assert f"Data: {tmp_path / 'var'}/" in demo.output()
    session = requests.Session()
    session.trust_env = False
    login = session.get(f"http://{HOST}:{port}/", timeout=10)
    assert login.status_code == 200 and login.url.endswith("/accounts/login/?next=/")
    assert "Demo login" in login.text
    assert (tmp_path / "var" / "db.sqlite3").is_file()  # migrated and seeded where told
    assert "created the superuser 'demo'" in demo.output()


def test_demo_takes_a_port_alone(start_demo: Callable[[str], Demo]) -> None:
    port = free_port()
    demo = start_demo(str(port))
    assert demo.wait_for(r"on\s+(\S+)/ ")[1] == f"http://127.0.0.1:{port}"


def test_demo_on_every_interface_prints_the_local_address(
    start_demo: Callable[[str], Demo],
) -> None:
    port = free_port()
    demo = start_demo(f"0.0.0.0:{port}")
    assert demo.wait_for(r"on\s+(\S+)/ ")[1] == f"http://127.0.0.1:{port}"


def test_demo_accepts_the_host_it_was_given(start_demo: Callable[[str], Demo]) -> None:
    # 127.0.0.2 is a loopback address the example does not allow by default.
    port = free_port()
    demo = start_demo(f"127.0.0.2:{port}")
    assert demo.wait_for(r"on\s+(\S+)/ ")[1] == f"http://127.0.0.2:{port}"
    session = requests.Session()
    session.trust_env = False
    answer = session.get(f"http://127.0.0.2:{port}/accounts/login/", timeout=10)
    assert answer.status_code == 200


def test_demo_refuses_a_bad_address_and_a_taken_port(tmp_path: Path) -> None:
    env = demo_environment(tmp_path / "var")
    for bad in ("8000x", "127.0.0.1:", ":8000"):
        result = subprocess.run(
            [str(DEMO), bad], env=env, capture_output=True, text=True, timeout=30, check=False
        )
        assert result.returncode == 2, bad
        assert "usage: scripts/demo [[ADDR:]PORT]" in result.stderr
    assert not (tmp_path / "var").exists()  # refused before doing anything

    with socket.socket() as taken:
        taken.bind((HOST, 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [str(DEMO), f"{HOST}:{port}"],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    assert result.returncode == 1
    assert f"cannot listen on {HOST}:{port}: Address already in use" in result.stderr
    assert "is ready" not in result.stdout


def stand_in_venv(root: Path, stamp_mode: str | None) -> Path:
    """A directory the bootstrap takes for a virtualenv: bin/python runs this interpreter."""
    bin_dir = root / "bin"
    bin_dir.mkdir(parents=True)
    python = bin_dir / "python"
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    python.chmod(0o755)
    if stamp_mode is not None:
        version = subprocess.run(
            [str(python), "--version"], capture_output=True, text=True, check=True
        ).stdout
        digest = hashlib.sha256((REPO_ROOT / "pyproject.toml").read_bytes() + version.encode())
        (root / ".bootstrap-stamp").write_text(f"{stamp_mode} {digest.hexdigest()}\n")
    return root


def bootstrap(cwd: str | None = None, **variables: str) -> subprocess.CompletedProcess[str]:
    """``source scripts/_bootstrap.sh`` in bash with ``variables`` set; prints ``venv=$VENV``."""
    return subprocess.run(
        ["bash", "-c", f'source "{BOOTSTRAP}" && echo "venv=$VENV"'],
        env={**os.environ, **variables},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_bootstrap_demo_mode_uses_a_dev_environment_as_it_is(tmp_path: Path) -> None:
    venv = stand_in_venv(tmp_path / "venv", "dev")
    result = bootstrap(GSD_VENV=str(venv), GSD_BOOTSTRAP="demo")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"venv={venv}"
    assert result.stderr == ""  # no pip, no npm


def test_bootstrap_names_the_modes_it_knows(tmp_path: Path) -> None:
    result = bootstrap(
        GSD_VENV=str(stand_in_venv(tmp_path / "venv", None)), GSD_BOOTSTRAP="everything"
    )
    assert result.returncode == 2
    assert "GSD_BOOTSTRAP=everything: expected dev, demo or none" in result.stderr


def test_bootstrap_refuses_an_interpreter_it_cannot_find(tmp_path: Path) -> None:
    # CI's second run asks for python3.13: a silent fallback to the default interpreter would
    # let a run meant for the newest Django pass on the oldest one.
    # Sourced alone, not in an && list, where bash would ignore the script's set -e.
    env = {**os.environ, "GSD_VENV": str(tmp_path / "venv"), "PYTHON": "python3.99"}
    result = subprocess.run(
        ["bash", "-c", f'source "{BOOTSTRAP}"'],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    message = "PYTHON=python3.99 not found (neither on PATH nor among pyenv's versions)"
    assert message in result.stderr
    assert not (tmp_path / "venv").exists()


def test_bootstrap_takes_a_relative_venv_from_the_repo_root(tmp_path: Path) -> None:
    venv = stand_in_venv(tmp_path / "venv", "dev")
    relative = os.path.relpath(venv, REPO_ROOT)
    result = bootstrap(cwd="/", GSD_VENV=relative, GSD_BOOTSTRAP="demo")
    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.strip().removeprefix("venv=")).resolve() == venv.resolve()
