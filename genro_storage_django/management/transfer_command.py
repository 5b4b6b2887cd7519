"""What storage_copy and storage_sync share: arguments, running a sync, reporting it."""

from __future__ import annotations

import json
import sys
from argparse import ArgumentParser, ArgumentTypeError
from collections.abc import Callable
from typing import Any

from django.core.checks import Tags
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ..conf import get_manager
from ..core import StorageError, StorageNode, SyncOptions, SyncReport, sync
from ..core.listing import REASONS as LEFT_OUT
from .progress import ProgressLine, human_bytes

__all__ = ["TransferCommand", "at_least", "resolve_node"]


def at_least(minimum: int) -> Callable[[str], int]:
    """An argparse ``type``: a whole number not below ``minimum``.

    ``--max-delete -1`` must not reach the sync, where a negative limit would count
    from the end of the list and delete all but one file.
    """

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < minimum:
            raise ArgumentTypeError(f"must be at least {minimum} (got {value})")
        return value

    return parse


def resolve_node(argument: str) -> StorageNode:
    """A node from a ``mount:path`` command-line argument, or a CommandError saying why."""
    if ":" not in argument:
        raise CommandError(f"{argument!r}: write mount:path (for example uploads:reports)")
    try:
        return get_manager().node(argument)
    except (StorageError, ValueError) as exc:
        raise CommandError(f"{argument}: {exc}") from None


class TransferCommand(BaseCommand):
    """A command that makes DST match SRC; subclasses say whether it may delete."""

    deletes = False
    # The mounts' checks (tagged "files"), not the whole project's: a copy needs a
    # sound storage configuration, not URLconfs and admin classes imported first.
    requires_system_checks = [Tags.files]

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source", help="mount:path of a file or directory")
        parser.add_argument(
            "destination",
            help="mount:path: the target file for a file source, the target directory otherwise",
        )
        compare = parser.add_mutually_exclusive_group()
        compare.add_argument(
            "--checksum", action="store_true", help="compare MD5s (computed only when sizes match)"
        )
        compare.add_argument("--size-only", action="store_true", help="compare sizes only")
        parser.add_argument(
            "--update", action="store_true", help="skip files whose destination is newer"
        )
        parser.add_argument(
            "--ignore-existing",
            action="store_true",
            help="skip every file that exists at the destination",
        )
        parser.add_argument(
            "-n", "--dry-run", action="store_true", help="change nothing; print what would be done"
        )
        parser.add_argument(
            "--include",
            action="append",
            default=[],
            metavar="GLOB",
            help="only files matching GLOB (repeatable)",
        )
        parser.add_argument(
            "--exclude",
            action="append",
            default=[],
            metavar="GLOB",
            help="leave out files matching GLOB (repeatable)",
        )
        parser.add_argument(
            "--transfers",
            type=at_least(1),
            default=4,
            metavar="N",
            help="concurrent transfers (default 4)",
        )
        parser.add_argument(
            "--no-progress",
            action="store_true",
            help="no progress line (it is off anyway when not on a terminal)",
        )
        parser.add_argument(
            "--json", action="store_true", help="print a JSON summary as the last line of output"
        )
        if self.deletes:
            self.add_delete_arguments(parser)

    def add_delete_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--delete",
            action="store_true",
            help="delete destination files absent from the source (after copying)",
        )
        parser.add_argument(
            "--max-delete",
            type=at_least(0),
            default=None,
            metavar="N",
            help="delete at most N files; past that stop and fail",
        )
        parser.add_argument(
            "--force", action="store_true", help="allow --delete even when the source is empty"
        )
        parser.add_argument(
            "--noinput",
            "--no-input",
            action="store_false",
            dest="interactive",
            help="do not ask before deleting",
        )

    @staticmethod
    def sync_options(options: dict[str, Any], delete: bool) -> SyncOptions:
        """The command line as the core's options."""
        if options["checksum"]:
            compare = "checksum"
        elif options["size_only"]:
            compare = "size-only"
        else:
            compare = "size-mtime"
        return SyncOptions(
            compare=compare,
            update=options["update"],
            ignore_existing=options["ignore_existing"],
            delete=delete,
            max_delete=options.get("max_delete"),
            allow_empty_source=options.get("force", False),
            include=options["include"],
            exclude=options["exclude"],
            dry_run=options["dry_run"],
            transfers=options["transfers"],
        )

    def handle(self, *args: Any, **options: Any) -> None:
        source = resolve_node(options["source"])
        destination = resolve_node(options["destination"])
        progress = None
        if not options["no_progress"] and not options["json"] and sys.stderr.isatty():
            progress = ProgressLine(sys.stderr)
        delete = self.deletes and options["delete"]
        try:
            report = sync(
                source,
                destination,
                self.sync_options(options, delete),
                progress=progress,
                confirm_delete=self._confirmer(options) if delete else None,
            )
        except StorageError as exc:
            raise CommandError(str(exc)) from None
        finally:
            if progress is not None:
                progress.finish()
        self.report(report, options)
        if not report.ok:
            first_path, first_message = report.errors[0]
            raise CommandError(
                f"{len(report.errors)} error(s), the first: {first_path}: {first_message}"
            )

    def _confirmer(self, options: dict[str, Any]) -> Any:
        if not options.get("interactive", True) or options["dry_run"]:
            return None

        def confirm(nodes: list[StorageNode]) -> bool:
            try:
                answer = input(f"Delete {len(nodes)} file(s) from the destination? [y/N] ")
            except EOFError:
                return False
            return answer.strip().lower() in ("y", "yes")

        return confirm

    def report(self, report: SyncReport, options: dict[str, Any]) -> None:
        verbosity = options["verbosity"]
        would = "would " if report.dry_run else ""
        if verbosity >= 2 or report.dry_run:
            for path in report.copied:
                self.stdout.write(f"{would}copy {path}")
            for path in report.deleted:
                self.stdout.write(f"{would}delete {path}")
        for path, reason in report.skipped:
            if reason in LEFT_OUT:
                self.stderr.write(f"skip {path}: {reason}")
            elif verbosity >= 3:
                self.stdout.write(f"skip {path}: {reason}")
        for path, message in report.errors:
            self.stderr.write(f"error {path}: {message}")
        if verbosity >= 1 and not options["json"]:
            copied, deleted = (
                ("would copy", "would delete") if report.dry_run else ("copied", "deleted")
            )
            self.stdout.write(
                f"{copied} {len(report.copied)} ({human_bytes(report.bytes)}), "
                f"skipped {len(report.skipped)}, {deleted} {len(report.deleted)}, "
                f"errors {len(report.errors)} in {report.seconds:.2f}s"
            )
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict()))
