"""Skip strategies: when an existing destination file is left alone."""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import TYPE_CHECKING

from .backends.base import StatResult
from .compare import current_reason, same_content

if TYPE_CHECKING:
    from .node import StorageNode

__all__ = ["SkipFunction", "SkipStrategy", "skip_reason"]

SkipFunction = Callable[["StorageNode", "StorageNode"], "bool | str"]


class SkipStrategy(str, enum.Enum):
    """When an existing destination file is left alone."""

    NEVER = "never"  # always copy
    EXISTS = "exists"  # skip when the destination exists
    SIZE = "size"  # skip when the sizes match
    MTIME = "mtime"  # skip when the sizes match and the destination is not older (compare.py)
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
        target_stat = target.stat_or_none()
    if target_stat is None or not target_stat.is_file:
        return None
    if strategy is SkipStrategy.EXISTS:
        return "exists"
    if strategy is SkipStrategy.SIZE:
        return "same size" if target_stat.size == source_stat.size else None
    if strategy is SkipStrategy.MTIME:
        return current_reason(source_stat, target_stat, newer_is_current=True)
    if target_stat.size != source_stat.size:
        return None
    return "same md5" if same_content(source, source_stat, target, target_stat) else None
