"""Skip strategies: when an existing destination file is left alone."""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import TYPE_CHECKING

from .backends.base import StatResult

if TYPE_CHECKING:
    from .node import StorageNode

__all__ = ["SkipFunction", "SkipStrategy", "skip_reason"]

SkipFunction = Callable[["StorageNode", "StorageNode"], "bool | str"]

#: Disk file times come from the kernel's coarse clock (one tick, a few ms, behind the
#: precise one other backends use): within this slack two times count as the same.
CLOCK_SLACK = 0.05


class SkipStrategy(str, enum.Enum):
    """When an existing destination file is left alone."""

    NEVER = "never"  # always copy
    EXISTS = "exists"  # skip when the destination exists
    SIZE = "size"  # skip when the sizes match
    MTIME = "mtime"  # skip when the destination is at least as new as the source
    HASH = "hash"  # skip when the MD5s match (computed only when sizes match)
    CUSTOM = "custom"  # ask skip_fn(source, destination)


def skip_reason(
    source: StorageNode,
    source_stat: StatResult,
    target: StorageNode,
    target_stat: StatResult | None,
    strategy: SkipStrategy,
    skip_fn: SkipFunction | None,
) -> str | None:
    """Why the copy of ``source`` to ``target`` is skipped, or None to copy it."""
    if strategy is SkipStrategy.NEVER:
        return None
    if strategy is SkipStrategy.CUSTOM:
        assert skip_fn is not None
        verdict = skip_fn(source, target)
        if isinstance(verdict, str):
            return verdict or None
        return "custom" if verdict else None
    if target_stat is None:
        target_stat = target._stat_or_none()
    if target_stat is None or not target_stat.is_file:
        return None
    if strategy is SkipStrategy.EXISTS:
        return "exists"
    if strategy is SkipStrategy.SIZE:
        return "same size" if target_stat.size == source_stat.size else None
    if strategy is SkipStrategy.MTIME:
        newer = (
            target_stat.mtime is not None
            and source_stat.mtime is not None
            and target_stat.mtime >= source_stat.mtime - CLOCK_SLACK
        )
        return "destination not older" if newer else None
    if target_stat.size != source_stat.size:
        return None
    same = (source_stat.md5 or source.md5hash()) == (target_stat.md5 or target.md5hash())
    return "same md5" if same else None
