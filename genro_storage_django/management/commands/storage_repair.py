"""``manage.py storage_repair MOUNT``: replay a mirror mount's repair journal.

``--verify`` also compares the children's listings with the first child's and fixes
any difference; ``--dry-run`` prints what would be done and changes nothing; ``--json``
prints the report as one JSON object. The exit status is 1 when an action failed
(its record stays in the journal for the next run).
"""

from __future__ import annotations

import json
from typing import Any

from django.core.checks import Tags
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...conf import get_manager
from ...core import StorageError


class Command(BaseCommand):
    help = "Repair a mirror mount: give every child what the mirror says it holds."
    requires_system_checks = [Tags.files]

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("mount", help="the name of a mirror mount")
        parser.add_argument(
            "--verify", action="store_true", help="also compare the children's listings"
        )
        parser.add_argument("--dry-run", action="store_true", help="change nothing")
        parser.add_argument("--json", action="store_true", help="one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = get_manager().repair(
                options["mount"], verify=options["verify"], dry_run=options["dry_run"]
            )
        except StorageError as exc:
            raise CommandError(str(exc)) from None
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict()))
        else:
            would = "would " if report.dry_run else ""
            for action in report.actions:
                where = f"{action.target}:{action.path}"
                what = f"copy {action.source}:{action.path} -> {where}"
                line = f"{would}{what}" if action.op == "copy" else f"{would}delete {where}"
                self.stdout.write(line + (f"  FAILED: {action.error}" if action.error else ""))
            done = "nothing to repair" if not report.actions else f"{len(report.actions)} actions"
            self.stdout.write(f"{report.mount}: {done}, {report.replayed} journal records replayed")
        if not report.ok:
            raise CommandError(f"{len(report.failed)} repair actions failed", returncode=1)
