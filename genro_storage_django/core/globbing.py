"""Glob patterns over mount-relative paths: ``*``, ``?``, ``[...]`` within a segment,
``**`` across any number of segments (as in pathlib and rclone filters)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

__all__ = ["compile_filters", "compile_glob"]


def compile_glob(pattern: str) -> Callable[[str], bool]:
    """A predicate telling whether a ``/``-separated relative path matches ``pattern``."""
    parts: list[str] = []
    segments = [segment for segment in pattern.strip("/").split("/") if segment]
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == "**":
            parts.append(".*" if last else "(?:[^/]*/)*")
            continue
        body = _translate_segment(segment)
        parts.append(body if last else body + "/")
    regex = re.compile("(?s:" + "".join(parts) + r")\Z")
    return lambda path: regex.match(path) is not None


def compile_filters(
    include: Iterable[str] | str | None, exclude: Iterable[str] | str | None
) -> Callable[[str], bool] | None:
    """A predicate for include/exclude globs (None when there are none): excluded wins;
    no include means all.

    As in rclone, a pattern matches from any directory down (``*.pdf`` any PDF,
    ``cache/**`` every ``cache`` directory's content) unless it starts with ``/``,
    which anchors it at the top (``/cache/**``).
    """
    includes = [_matcher(p) for p in _as_list(include)]
    excludes = [_matcher(p) for p in _as_list(exclude)]
    if not includes and not excludes:
        return None  # no filter: callers skip the per-file call entirely

    def accept(path: str) -> bool:
        if any(match(path) for match in excludes):
            return False
        return not includes or any(match(path) for match in includes)

    return accept


def _as_list(patterns: Iterable[str] | str | None) -> list[str]:
    if patterns is None:
        return []
    if isinstance(patterns, str):
        return [patterns]
    return list(patterns)


def _matcher(pattern: str) -> Callable[[str], bool]:
    if pattern.startswith("/"):
        return compile_glob(pattern)
    match = compile_glob(pattern)

    def anywhere(path: str) -> bool:
        # Unanchored, as in rclone: the pattern may match from any directory down.
        parts = path.split("/")
        return any(match("/".join(parts[index:])) for index in range(len(parts)))

    return anywhere


def _translate_segment(segment: str) -> str:
    """Regex for one path segment; no wildcard ever matches '/'."""
    out: list[str] = []
    index = 0
    while index < len(segment):
        char = segment[index]
        index += 1
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            # A "]" first in the set (after any "!") is a member, not its end.
            first = index + 1 if segment[index : index + 1] == "!" else index
            first += segment[first : first + 1] == "]"
            end = segment.find("]", first)
            if end == -1:
                out.append(re.escape(char))
                continue
            body = segment[index:end]
            index = end + 1
            # As fnmatch does: escape what a regex set reads specially ("[" would be
            # a nested set, "^" first a negation, "&&" "~~" "||" future set operators).
            body = re.sub(r"([\\\[&~|^])", r"\\\1", body)
            if body.startswith("!"):
                body = "^" + body[1:]
            out.append("[" + body + "]")
        else:
            out.append(re.escape(char))
    return "".join(out)
