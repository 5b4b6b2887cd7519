"""Run Django's storage tests against mounts: ``python -m tests.django_suite [-v 2] [labels]``.

The tests are read from ``DJANGO_TESTS_DIR``, by default where scripts/_bootstrap.sh
fetches them (``.cache/django-<installed version>/tests``).

Like Django's ``tests/runtests.py``, trimmed to the apps these tests need. Tests listed
in :mod:`.not_applicable` are skipped with their reason; any failure or error, and any
listed test that no longer exists, makes the exit status non-zero.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import unittest
from collections.abc import Iterator
from typing import Any

LABELS = [
    "file_storage",
    "files",
    "model_fields.test_filefield",
    "model_fields.test_imagefield",
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.django_suite")
    parser.add_argument("labels", nargs="*", default=LABELS)
    parser.add_argument("-v", "--verbosity", type=int, default=1)
    args = parser.parse_args(argv)
    tests_dir = os.environ.get("DJANGO_TESTS_DIR") or _fetched_tests_dir()
    if not os.path.isdir(os.path.join(tests_dir, "file_storage")):
        print(f"no Django tests in {tests_dir}: scripts/test fetches them", file=sys.stderr)
        print("(or set DJANGO_TESTS_DIR to the tests/ of Django's sources)", file=sys.stderr)
        return 2
    sys.path.insert(0, tests_dir)
    with tempfile.TemporaryDirectory(prefix="django-suite-") as scratch:
        # As Django's runtests.py: the directories the tests make go, and go away, with it.
        tempfile.tempdir = scratch
        _configure(scratch)
        return _run(args.labels, args.verbosity)


def _fetched_tests_dir() -> str:
    """Where scripts/_bootstrap.sh puts the tests of the installed Django."""
    import django

    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    return os.path.join(repo, ".cache", f"django-{django.__version__}", "tests")


def _configure(scratch: str) -> None:
    import django
    from django.conf import settings

    from . import adapter

    settings.configure(
        DEBUG=False,
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3"}},
        INSTALLED_APPS=[
            "django.contrib.contenttypes",
            "django.contrib.auth",
            "django.contrib.sessions",
            "django.contrib.messages",
            "file_storage",
            "files",
            "model_fields",
        ],
        ROOT_URLCONF="urls",
        MEDIA_ROOT=os.path.join(scratch, "media"),
        STATIC_ROOT=os.path.join(scratch, "static"),
        STATIC_URL="static/",
        STORAGE_MOUNTS=adapter.MOUNTS,
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
        USE_TZ=False,
        SECRET_KEY="django-suite",
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        MIGRATION_MODULES={"auth": None, "contenttypes": None, "sessions": None},
    )
    # Before the test apps' models are imported: they build storages at import time.
    adapter.install()
    django.setup()


def _run(labels: list[str], verbosity: int) -> int:
    from django.test.runner import DiscoverRunner

    from .not_applicable import NOT_APPLICABLE

    class Runner(DiscoverRunner):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.not_applicable: set[str] = set()
            self.result: Any = None

        def build_suite(self, *args: Any, **kwargs: Any) -> unittest.TestSuite:
            suite = super().build_suite(*args, **kwargs)
            for test in _tests(suite):
                reason = NOT_APPLICABLE.get(test.id())
                if reason is not None:
                    _skip(test, f"not applicable: {reason}")
                    self.not_applicable.add(test.id())
            return suite

        def run_suite(self, suite: Any, **kwargs: Any) -> Any:
            self.result = super().run_suite(suite, **kwargs)
            return self.result

    runner = Runner(verbosity=verbosity, interactive=False)
    failures = runner.run_tests(labels)
    result = runner.result
    # Only a full run can tell that a listed test is gone.
    stale = sorted(set(NOT_APPLICABLE) - runner.not_applicable) if labels == LABELS else []
    skipped_by_django = len(result.skipped) - len(runner.not_applicable)
    passed = result.testsRun - len(result.failures) - len(result.errors) - len(result.skipped)
    print(
        f"\nDjango's storage tests on mounts: {passed} passed, "
        f"{len(runner.not_applicable)} not applicable, "
        f"{skipped_by_django} skipped by Django itself, "
        f"{len(result.failures) + len(result.errors)} failed"
    )
    for test_id in stale:
        print(f"listed as not applicable but not found: {test_id}", file=sys.stderr)
    return 1 if failures or stale or result.unexpectedSuccesses else 0


def _tests(suite: unittest.TestSuite) -> Iterator[unittest.TestCase]:
    for item in suite:
        if isinstance(item, unittest.TestSuite):
            yield from _tests(item)
        else:
            yield item


def _skip(test: unittest.TestCase, reason: str) -> None:
    """Skip one test instance: unittest honours the marker of the method it looks up."""
    method = getattr(test, test._testMethodName)

    def skipped(*args: Any, **kwargs: Any) -> None:
        raise unittest.SkipTest(reason)

    skipped.__unittest_skip__ = True  # type: ignore[attr-defined]
    skipped.__unittest_skip_why__ = reason  # type: ignore[attr-defined]
    skipped.__wrapped__ = method  # type: ignore[attr-defined]
    setattr(test, test._testMethodName, skipped)


if __name__ == "__main__":
    sys.exit(main())
