"""``mirror`` mounts: writes and deletes go to several mounts, reads to the first that answers.

``{"type": "mirror", "mounts": ["primary", "replica"], "write": "all"}``. A write streams
to every child at once (:class:`~.fanout.FanOutWriter`); the ``write`` policy says how
many must have it for the write to succeed (``all``, a ``quorum``, or the ``primary``
alone, the others left to repair). Whatever the policy, each child that missed a
write or a delete is recorded in the durable repair journal
(:mod:`.mirror_journal`), which :meth:`MirrorBackend.repair` replays. Every call to a
child waits at most ``timeout`` seconds: a child that is down is skipped by reads and
journaled by writes, never waited for.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import posixpath
from collections.abc import Callable, Mapping, Sequence
from typing import IO, TYPE_CHECKING, Any, TypeVar

from ..capabilities import BackendCapabilities
from ..config import invalid
from ..errors import MirrorWriteError, StorageUnavailableError, UnsafePathError
from ..paths import is_valid_mount_name, join, normalize, split_fullpath
from .base import AtomicWriter, Backend, Kind, StatResult
from .composite import CompositeBackend, RepairReport
from .fanout import ChildCalls, FanOutWriter, Outcome
from .local_dir import local_directory
from .mirror_journal import Operation, RepairJournal, default_journal_dir

if TYPE_CHECKING:
    from ..config import MountContext

__all__ = ["POLICIES", "MirrorBackend"]

T = TypeVar("T")
POLICIES = ("all", "quorum", "primary")
DEFAULT_TIMEOUT = 5.0
#: A child's answer, not its failure: reads stop there instead of asking the next child.
_ANSWERS = (
    FileNotFoundError,
    FileExistsError,
    IsADirectoryError,
    NotADirectoryError,
    UnsafePathError,
)


class MirrorBackend(CompositeBackend):
    type_name = "mirror"
    required_keys = frozenset({"mounts"})
    optional_keys = frozenset({"write", "journal", "journal_dir", "timeout"})
    parent_key = "mounts"

    def __init__(self, mount_name: str, options: Mapping[str, Any], context: MountContext):
        super().__init__(mount_name, options, context)
        self.children: tuple[str, ...] = tuple(options["mounts"])
        self.policy: str = options.get("write", "all")
        self.timeout = float(options.get("timeout", DEFAULT_TIMEOUT))
        self.calls = ChildCalls(self.timeout, workers=4 * len(self.children))
        journal = options.get("journal")
        if journal:
            journal_mount, sub = _journal_mount(journal)
            self.journal = RepairJournal(
                lambda: self.parent_backend(journal_mount), join(sub, mount_name)
            )
        elif options.get("journal_dir"):
            self.journal = RepairJournal(
                local_directory(str(options["journal_dir"]), "mirror-journal", context),
                mount_name,
            )
        else:
            # One default directory serves every project of the user: a record is kept
            # under the mirror's name AND its children's stores, so that two projects with
            # a mirror of one name (staging and production on one host) never replay each
            # other's records (a delete there would lose files here).
            self.journal = RepairJournal(
                local_directory(default_journal_dir(), "mirror-journal", context),
                lambda: f"{mount_name}-{self._children_digest()}",
            )

    def _children_digest(self) -> str:
        """A short digest of where the children keep their files (their stores and roots)."""
        places = []
        for child in self.children:
            backend = self.parent_backend(child)
            place = backend.physical_location(backend.locate(""))
            places.append(f"{child}\0{place.store!r}\0{place.path}")
        return hashlib.sha256("\n".join(places).encode()).hexdigest()[:16]

    @classmethod
    def validate_options(cls, options: Mapping[str, Any]) -> None:
        name = options["name"]
        mounts = options["mounts"]
        if not (isinstance(mounts, (list, tuple)) and all(isinstance(m, str) for m in mounts)):
            raise invalid(name, "mounts", "mounts must be a list of mount names")
        if len(mounts) < 2:
            raise invalid(name, "mounts", "a mirror needs at least two mounts")
        if name in mounts:
            raise invalid(name, "mounts", "a mirror cannot be one of its own mounts")
        if len(set(mounts)) != len(mounts):
            raise invalid(name, "mounts", "a mount appears twice in mounts")
        if options.get("write", "all") not in POLICIES:
            raise invalid(name, "write", f"write must be one of {', '.join(POLICIES)}")
        timeout = options.get("timeout", DEFAULT_TIMEOUT)
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
            raise invalid(name, "timeout", "timeout must be a positive number of seconds")
        journal = options.get("journal")
        if journal is not None:
            try:
                journal_mount, _sub = _journal_mount(journal)
            except (TypeError, ValueError):
                raise invalid(
                    name, "journal", f"journal must be 'mount' or 'mount:dir' (got {journal!r})"
                ) from None
            if journal_mount == name or journal_mount in mounts:
                raise invalid(
                    name, "journal", "the journal must be on a mount other than the mirror's"
                )
        journal_dir = options.get("journal_dir")
        if journal_dir is not None and not (
            isinstance(journal_dir, (str, os.PathLike)) and os.path.isabs(journal_dir)
        ):
            raise invalid(name, "journal_dir", "journal_dir must be an absolute path")

    @classmethod
    def parent_names(cls, options: Mapping[str, Any]) -> tuple[str, ...]:
        journal = options.get("journal")
        extra = (_journal_mount(journal)[0],) if journal else ()
        return (*options["mounts"], *extra)

    # -- children ---------------------------------------------------------------
    def child(self, name: str) -> Backend:
        return self.parent_backend(name)

    def _readers(self, location: str) -> list[str]:
        """The children to read ``location`` from, in order: not those that missed its
        latest write; none when its latest delete is still missing somewhere."""
        entry = self.journal.pending(location)
        if entry is None:
            return list(self.children)
        if entry.op == "delete":
            return [name for name in self.children if name in entry.has]
        return [name for name in self.children if name not in entry.missing]

    def _first(self, location: str, call: Callable[[Backend, str], T]) -> T:
        """``call(child, child location)`` on the first child that answers."""
        last: BaseException | None = None
        readers = self._readers(location)
        for name in readers:
            try:
                return self.calls.call(name, self._bound(name, call, location))
            except _ANSWERS:
                raise
            except Exception as exc:
                last = exc
        if not readers:
            raise FileNotFoundError(location)
        raise StorageUnavailableError(
            f"mirror {self.mount_name!r}: no mount answered ({last})"
        ) from last

    def _bound(
        self, name: str, call: Callable[[Backend, str], T], location: str
    ) -> Callable[[], T]:
        """``call`` on child ``name`` at its location of ``location``, to run in a thread."""
        child = self.child(name)
        return lambda: call(child, child.locate(location))

    def _each(
        self, names: Sequence[str], call: Callable[[Backend, str], Any], location: str
    ) -> dict[str, Outcome]:
        return self.calls.call_all({name: self._bound(name, call, location) for name in names})

    def _targets(self) -> tuple[list[str], list[str]]:
        """(children written now, children left to repair) under the write policy."""
        if self.policy == "primary":
            return [self.children[0]], list(self.children[1:])
        return list(self.children), []

    def _settle(
        self,
        op: Operation,
        location: str,
        has: Sequence[str],
        failed: Mapping[str, BaseException],
        kind: Kind = "file",
    ) -> None:
        """Journal the children that missed a change, then apply the write policy."""
        if not has and failed and not any(_down(error) for error in failed.values()):
            raise next(iter(failed.values()))  # refused alike by all (exists, is a directory)
        deferred = [name for name in self.children if name not in has and name not in failed]
        missing = [*failed, *deferred]
        if has and missing:
            self.journal.add(op, location, has, missing, kind)
        needed = {"all": len(self.children), "quorum": len(self.children) // 2 + 1}
        wanted = needed.get(self.policy, 1)
        ok = len(has) >= wanted and (self.policy != "primary" or self.children[0] in has)
        if not ok:
            raise MirrorWriteError(self.mount_name, location, op, has, missing, failed)

    # -- locations --------------------------------------------------------------
    def locate(self, path: str) -> str:
        for name in self.children:
            self.child(name).locate(path)  # every child's own path safety
        return normalize(path)

    def relative(self, location: str) -> str:
        return location

    @property
    def capabilities(self) -> BackendCapabilities:
        # What every child does, the mirror does; a write never stays on one store
        # (no server-side copy, no local file to hand out, no direct upload).
        children = [self.child(name).capabilities for name in self.children]
        flags = {
            field.name: all(getattr(caps, field.name) for caps in children)
            for field in dataclasses.fields(BackendCapabilities)
        }
        return BackendCapabilities(
            **{
                **flags,
                "readonly": any(caps.readonly for caps in children),
                "temporary": any(caps.temporary for caps in children),
                "copy_optimization": False,
                "local_files": False,
                "symbolic_links": False,
                "presigned_uploads": False,
            }
        )

    # -- reads ------------------------------------------------------------------
    def stat(self, location: str) -> StatResult:
        return self._first(location, lambda child, inner: child.stat(inner))

    def exists(self, location: str) -> bool:
        try:
            return self._first(location, lambda child, inner: child.exists(inner))
        except FileNotFoundError:
            return False

    def is_file(self, location: str) -> bool:
        try:
            return self._first(location, lambda child, inner: child.is_file(inner))
        except FileNotFoundError:
            return False

    def listdir(self, location: str) -> list[StatResult]:
        return self._first(location, lambda child, inner: child.listdir(inner))

    def open_read(self, location: str) -> IO[bytes]:
        return self._first(location, lambda child, inner: child.open_read(inner))

    def read_bytes(self, location: str) -> bytes:
        return self._first(location, lambda child, inner: child.read_bytes(inner))

    def url(self, location: str, path: str, expires_in: int | None) -> str | None:
        # Only where every child gives URLs: a link must not depend on which one is up.
        caps = self.capabilities
        if not (caps.presigned_urls or caps.public_urls):
            return None
        return self._first(location, lambda child, inner: child.url(inner, path, expires_in))

    # -- writes -----------------------------------------------------------------
    def open_writer(self, location: str, *, exclusive: bool = False) -> AtomicWriter:
        now, _later = self._targets()
        openers = {
            name: self._bound(
                name, lambda child, inner: child.open_writer(inner, exclusive=exclusive), location
            )
            for name in now
        }

        def on_commit(has: Sequence[str], failed: Mapping[str, BaseException]) -> None:
            self._settle("write", location, has, failed)

        return FanOutWriter(openers, self.timeout, on_commit)

    def remove_file(self, location: str) -> None:
        self._remove(location, self._remove_one, "file")

    def _remove_one(self, child: Backend, inner: str) -> None:
        child.remove_file(inner)
        if child.capabilities.directories and not self.capabilities.directories:
            # Next to an object store a disk keeps no empty directories either: the
            # directories a delete empties go, as they do from the object store.
            parent = posixpath.dirname(child.relative(inner))
            while parent:
                try:
                    child.remove_dir(child.locate(parent), recursive=False)
                except OSError:
                    return  # not empty (or already gone): the directories above stay too
                parent = posixpath.dirname(parent)

    def remove_dir(self, location: str, *, recursive: bool) -> None:
        self._remove(
            location, lambda child, inner: child.remove_dir(inner, recursive=recursive), "directory"
        )

    def _remove(self, location: str, call: Callable[[Backend, str], Any], kind: Kind) -> None:
        now, _later = self._targets()
        outcomes = self._each(now, call, location)
        errors = {name: error for name, (_r, error) in outcomes.items() if error is not None}
        # A child without the entry holds the outcome of the delete already.
        gone = [n for n, e in errors.items() if isinstance(e, FileNotFoundError)]
        refused = [e for n, e in errors.items() if n not in gone and not _down(e)]
        done = [name for name in now if name not in errors]
        if not done and refused:
            raise refused[0]  # not empty, not a directory...: nothing was deleted
        if not done and len(gone) == len(errors):
            raise errors[gone[0]]
        failed = {name: error for name, error in errors.items() if name not in gone}
        self._settle("delete", location, [*done, *gone], failed, kind)

    def mkdir(self, location: str, *, parents: bool, exist_ok: bool) -> None:
        # A mirror with an object store among its children keeps no empty directories,
        # as the object store: the disks among them must not show one either. Under
        # "primary" the others get the directory with the files the repair copies there.
        directories = self.capabilities.directories
        now, _later = self._targets()
        names = [n for n in now if self.child(n).capabilities.directories is directories]
        outcomes = self._each(
            names,
            lambda child, inner: child.mkdir(inner, parents=parents, exist_ok=exist_ok),
            location,
        )
        for _result, error in outcomes.values():
            if error is not None and not _down(error):
                raise error
        if all(error is not None for _r, error in outcomes.values()):
            raise StorageUnavailableError(f"mirror {self.mount_name!r}: no mount answered")

    def set_mtime(self, location: str, mtime: float | None) -> bool:
        outcomes = self._each(
            self.children, lambda child, inner: child.set_mtime(inner, mtime), location
        )
        return all(error is None and result for result, error in outcomes.values())

    def invalidate(self, location: str) -> None:
        for name in self.children:
            child = self.child(name)
            child.invalidate(child.locate(location))

    def repair(self, *, verify: bool = False, dry_run: bool = False) -> RepairReport:
        """Replay the journal (and with ``verify`` compare the children's listings)."""
        from .mirror_repair import repair_mirror

        return repair_mirror(self, verify=verify, dry_run=dry_run)

    def describe(self) -> str:
        return f"mirror ({', '.join(self.children)}; write={self.policy})"


def _down(error: BaseException) -> bool:
    """Whether ``error`` says the child is unreachable rather than answering no."""
    return isinstance(error, (TimeoutError, ConnectionError)) or not isinstance(error, OSError)


def _journal_mount(journal: Any) -> tuple[str, str]:
    if not isinstance(journal, str):
        raise TypeError(journal)
    name, sub = split_fullpath(journal) if ":" in journal else (journal, "")
    if not is_valid_mount_name(name):
        raise ValueError(journal)
    return name, normalize(sub)
