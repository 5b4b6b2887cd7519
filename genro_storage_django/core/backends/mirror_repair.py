"""Repairing a ``mirror`` mount: replay its journal until every child holds what the mirror says.

For each path the latest journal record decides. A write is copied, from a child that
has it, to the children that missed it; a delete is applied to the children that
missed it. The truth is read from the children at repair time: a write whose file is
gone from every child that had it (deleted since) and a delete whose path exists again
(written since) are superseded and only leave the journal. A record leaves the
journal once every action it asked for succeeded, so a second run does nothing.

``verify`` then walks every child and compares it with the first (the primary): a file
missing or of another size (or MD5, where both report one) is copied from the primary,
a file the primary lacks is deleted. That catches what no journal saw (a write by
another tool to one child, a crash between a child's commit and the journal's).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import TYPE_CHECKING

from .base import Backend, StatResult
from .composite import RepairAction, RepairReport
from .mirror_journal import JournalEntry

if TYPE_CHECKING:
    from .mirror import MirrorBackend

__all__ = ["repair_mirror"]

_CHUNK = 1 << 20


def repair_mirror(mirror: MirrorBackend, *, verify: bool, dry_run: bool) -> RepairReport:
    report = RepairReport(mirror.mount_name, dry_run, verify)
    by_path: dict[str, list[JournalEntry]] = {}
    for entry in mirror.journal.entries():
        by_path.setdefault(entry.path, []).append(entry)
    for entries in by_path.values():
        actions = list(_replay(mirror, entries[-1]))
        for action in actions:
            _run(mirror, action, dry_run)
        report.actions.extend(actions)
        if not dry_run and all(action.error is None for action in actions):
            mirror.journal.remove(entries)
            report.replayed += len(entries)
    if verify:
        for action in _differences(mirror):
            _run(mirror, action, dry_run)
            report.actions.append(action)
    return report


def _holds(child: Backend, path: str, kind: str) -> bool:
    try:
        stat = child.stat(child.locate(path))
    except FileNotFoundError:
        return False
    return stat.is_file if kind == "file" else stat.is_dir


def _replay(mirror: MirrorBackend, entry: JournalEntry) -> Iterator[RepairAction]:
    holders = [name for name in entry.has if _holds(mirror.child(name), entry.path, entry.kind)]
    if entry.op == "write":
        if holders:
            for target in entry.missing:
                yield RepairAction("copy", entry.path, target, source=holders[0])
    elif not holders:
        for target in entry.missing:
            if _holds(mirror.child(target), entry.path, entry.kind):
                yield RepairAction("delete", entry.path, target)


def _run(mirror: MirrorBackend, action: RepairAction, dry_run: bool) -> None:
    if dry_run:
        return
    target = mirror.child(action.target)
    try:
        location = target.locate(action.path)
        if action.op == "delete":
            if target.is_file(location):
                target.remove_file(location)
            else:
                target.remove_dir(location, recursive=True)
            return
        assert action.source is not None
        source = mirror.child(action.source)
        with (
            source.open_read(source.locate(action.path)) as reader,
            target.open_writer(location) as writer,
        ):
            shutil.copyfileobj(reader, writer, _CHUNK)
    except Exception as exc:
        action.error = f"{type(exc).__name__}: {exc}"
    finally:
        target.invalidate(target.locate(action.path))  # object stores cache listings


def _listing(child: Backend) -> dict[str, StatResult]:
    return dict(child.walk_files(child.locate("")))


def _differences(mirror: MirrorBackend) -> Iterator[RepairAction]:
    primary, *others = mirror.children
    reference = _listing(mirror.child(primary))
    for name in others:
        listed = _listing(mirror.child(name))
        for path, stat in reference.items():
            other = listed.get(path)
            if other is None or _differ(stat, other):
                yield RepairAction("copy", path, name, source=primary)
        for path in listed.keys() - reference.keys():
            yield RepairAction("delete", path, name)


def _differ(one: StatResult, other: StatResult) -> bool:
    if one.size != other.size:
        return True
    return one.md5 is not None and other.md5 is not None and one.md5 != other.md5
