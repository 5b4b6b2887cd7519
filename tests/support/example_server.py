"""The example project (example_project/) run for real, for tests/test_example_*.py.

The example has its own settings module, so it never runs inside the test process (whose
Django is configured with tests.settings): :func:`running_example` migrates a fresh SQLite
database, seeds the demo data and starts ``manage.py runserver`` in child processes, with
every file (database, local mounts) under a temporary directory.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from tests.support.server_process import HOST, environment, free_port, server_process

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_DIR = REPO_ROOT / "example_project"
MANAGE = EXAMPLE_DIR / "manage.py"
DEMO_USER, DEMO_PASSWORD = "demo", "demo"

#: Variables the example reads; a developer's own values never leak into the tests.
EXAMPLE_VARIABLES = (
    "DJANGO_SECRET_KEY",
    "DJANGO_DEBUG",
    "DJANGO_ALLOWED_HOSTS",
    "DEMO_VAR_DIR",
    "DEMO_ARCHIVE_S3_BUCKET",
    "DEMO_ARCHIVE_S3_PREFIX",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_S3",
)


@dataclass(frozen=True)
class ExampleServer:
    base_url: str  # no trailing slash
    var_dir: Path  # the database and the local mounts' directories
    log_path: Path

    def url(self, path: str) -> str:
        return self.base_url + path

    def login(self, username: str = DEMO_USER, password: str = DEMO_PASSWORD) -> requests.Session:
        """A requests session logged in through the login form, as a browser does."""
        session = requests.Session()
        session.trust_env = False  # never send 127.0.0.1 through a configured proxy
        page = session.get(self.url("/accounts/login/"), timeout=10)
        page.raise_for_status()
        answer = session.post(
            self.url("/accounts/login/"),
            data={
                "username": username,
                "password": password,
                "csrfmiddlewaretoken": session.cookies["csrftoken"],
                "next": "/",
            },
            allow_redirects=False,
            timeout=10,
        )
        assert answer.status_code == 302, f"login failed: {answer.status_code}"
        return session


def example_environment(var_dir: Path, **extra: str | None) -> dict[str, str | None]:
    """The environment of the example's processes: settings, a fresh secret, ``var_dir``."""
    values: dict[str, str | None] = dict.fromkeys(EXAMPLE_VARIABLES)
    values.update(
        {
            # pytest-django set tests.settings here; manage.py would keep it.
            "DJANGO_SETTINGS_MODULE": "example.settings",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(32),
            "DJANGO_DEBUG": "1",
            "DEMO_VAR_DIR": str(var_dir),
            "PYTHONUNBUFFERED": "1",
        }
    )
    values.update(extra)
    return values


def manage(
    *args: str, env: dict[str, str | None], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """``python example_project/manage.py ARGS`` with ``env`` over this process's environment."""
    full = {k: v for k, v in os.environ.items() if k not in env}
    full.update({k: v for k, v in env.items() if v is not None})
    result = subprocess.run(
        [sys.executable, str(MANAGE), *args],
        env=full,
        cwd=EXAMPLE_DIR,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"manage.py {' '.join(args)} exited with {result.returncode}:\n"
            f"{result.stdout[-2000:]}\n{result.stderr[-4000:]}"
        )
    return result


@contextmanager
def running_example(
    workdir: Path, seed: bool = True, debug: bool = True, **extra_env: str | None
) -> Iterator[ExampleServer]:
    """Migrate, seed (demo user and documents) and serve the example on a free port.

    ``debug=False`` serves with ``DEBUG`` off, as in production: Django then renders the
    project's 404.html (with ``DEBUG`` on it shows its technical 404 page instead). Seeding
    needs ``DEBUG`` on, and runserver's ``--insecure`` still serves the static files.
    """
    var_dir = workdir / "var"
    env = example_environment(var_dir, **extra_env)
    manage("migrate", "--noinput", "-v0", env=env)
    manage("seed_demo", *([] if seed else ["--no-documents"]), env=env)
    port = free_port()
    command = [sys.executable, str(MANAGE), "runserver", f"{HOST}:{port}", "--noreload"]
    if not debug:
        env = {**env, "DJANGO_DEBUG": "0"}
        command.append("--insecure")
    stack = ExitStack()
    # The environment only while the server starts: this process (whose Django runs on
    # tests.settings) keeps its own variables while the tests run.
    with environment(env):
        _port, log_path = stack.enter_context(
            server_process(
                "example runserver", command, workdir, port=port, ready_path="/accounts/login/"
            )
        )
    with stack:
        yield ExampleServer(base_url=f"http://{HOST}:{port}", var_dir=var_dir, log_path=log_path)


SIGNED_LINK = re.compile(r'href="(/files/uploads/[^"?]+\?[^"]*sig=[^"]+)"')


def signed_links(html: str) -> list[str]:
    """The signed ``uploads`` links of a page, HTML entities undone."""
    return [link.replace("&amp;", "&") for link in SIGNED_LINK.findall(html)]
