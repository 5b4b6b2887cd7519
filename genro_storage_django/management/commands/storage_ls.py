"""``manage.py storage_ls mount:path``: list a mount directory (``-l`` sizes and times)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

from django.core.checks import Tags
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...core import StatResult, StorageError, StorageNode
from ...core.listing import SYMLINK_LOOP, identities_above
from ..transfer_command import resolve_node


class Command(BaseCommand):
    help = "List a file or directory of a mount: mount:path (mount: for the root)."
    requires_system_checks = [Tags.files]  # the mounts' checks only, as the transfer commands

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="mount:path")
        parser.add_argument("-l", "--long", action="store_true", help="show sizes and times")
        parser.add_argument(
            "-R", "--recursive", action="store_true", help="list sub-directories too"
        )
        parser.add_argument("--json", action="store_true", help="one JSON array of entries")

    def handle(self, *args: Any, **options: Any) -> None:
        node = resolve_node(options["path"])
        try:
            entries = list(self._entries(node, options["recursive"]))
        except StorageError as exc:
            raise CommandError(str(exc)) from None
        if options["json"]:
            self.stdout.write(json.dumps([_as_dict(n, s) for n, s in entries]))
            return
        for entry_node, stat in entries:
            name = entry_node.fullpath + ("/" if stat.is_dir else "")
            if options["long"]:
                self.stdout.write(f"{stat.size:>14}  {_when(stat) or '-':<25}  {name}")
            else:
                self.stdout.write(name)

    def _entries(
        self, node: StorageNode, recursive: bool
    ) -> Iterator[tuple[StorageNode, StatResult]]:
        """The entries in ``ls -R`` order, without recursion (trees can be deep)."""
        stat = node.stat()
        if not stat.is_dir:
            yield node, stat
            return

        def report(path: str, reason: str) -> None:
            self.stderr.write(f"skip {path}: {reason}")

        # One listing per directory being walked, with the identity of that directory:
        # a symlink back to one of them is a loop, reported and not entered.
        above = identities_above(node)
        stack = [(node.scandir(report), node.backend.identity(node.location))]
        while stack:
            for child, child_stat in stack[-1][0]:
                yield child, child_stat
                if not (recursive and child_stat.is_dir):
                    continue
                identity = child.backend.identity(child.location)
                if identity is not None and (
                    identity in above or any(identity == seen for _it, seen in stack)
                ):
                    report(child.fullpath, SYMLINK_LOOP)
                    continue
                stack.append((child.scandir(report), identity))
                break  # list the sub-directory first, then go on with this one
            else:
                stack.pop()


def _when(stat: StatResult) -> str | None:
    if stat.mtime is None:
        return None
    return datetime.fromtimestamp(stat.mtime, tz=timezone.utc).isoformat(timespec="seconds")


def _as_dict(node: StorageNode, stat: StatResult) -> dict[str, Any]:
    return {"path": node.fullpath, "kind": stat.kind, "size": stat.size, "mtime": _when(stat)}
