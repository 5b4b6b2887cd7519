"""Calls to several child mounts, each bounded by a timeout: the machinery of ``mirror`` mounts.

:class:`ChildCalls` runs one call per child in a thread pool and waits for each at most
``timeout`` seconds, so a child whose server is down or hung costs a read or a delete
that long and no more. :class:`FanOutWriter` streams one write to several children at
once: each child's own atomic writer runs in a thread fed by a queue of at most
:data:`QUEUE_CHUNKS` chunks, so the source is read once and the memory in flight stays
bounded whatever the size of the file; a child that stops taking chunks for ``timeout``
seconds is dropped from the write, not waited for.
"""

from __future__ import annotations

import contextvars
import queue
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, TypeVar

from .atomic import AtomicWriter

__all__ = ["QUEUE_CHUNKS", "ChildCalls", "FanOutWriter", "Outcome"]

T = TypeVar("T")

#: Chunks a child's writer may lag behind the source (1 MiB each from the copy loops).
QUEUE_CHUNKS = 4
#: A commit may take longer than one call: it is allowed one more second per this many bytes.
COMMIT_BYTES_PER_SECOND = 10 * 1024 * 1024
_POLL = 0.05

#: What a call to one child ended with: its result, or the exception it raised.
Outcome = tuple[Any, BaseException | None]


class ChildCalls:
    """Runs calls on child mounts in threads, each waited for at most ``timeout`` seconds."""

    def __init__(self, timeout: float, workers: int) -> None:
        self.timeout = timeout
        self._workers = workers
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def _executor(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="mirror")
            return self._pool

    def call(self, name: str, function: Callable[[], T]) -> T:
        """``function()``'s result, or TimeoutError when it takes over ``timeout`` seconds."""
        # Calls run in a copy of the caller's context: a child whose root follows a context
        # variable (a tenant's directory) must answer for the caller's value.
        future = self._executor().submit(contextvars.copy_context().run, function)
        return self._result(name, future)

    def call_all(self, calls: Mapping[str, Callable[[], Any]]) -> dict[str, Outcome]:
        """Every call at once; each child's outcome (a timeout is a TimeoutError)."""
        futures = {
            name: self._executor().submit(contextvars.copy_context().run, function)
            for name, function in calls.items()
        }
        outcomes: dict[str, Outcome] = {}
        deadline = time.monotonic() + self.timeout
        for name, future in futures.items():
            try:
                outcomes[name] = (self._result(name, future, deadline), None)
            except Exception as exc:
                outcomes[name] = (None, exc)
        return outcomes

    def _result(self, name: str, future: Future[T], deadline: float | None = None) -> T:
        wait = self.timeout if deadline is None else max(0.0, deadline - time.monotonic())
        try:
            return future.result(timeout=wait)
        except FutureTimeout:
            future.cancel()
            raise TimeoutError(f"mount {name!r} did not answer within {self.timeout:g} s") from None


_COMMIT = object()
_ABORT = object()


class _ChildStream:
    """One child's writer, in its own thread, fed chunks through a bounded queue."""

    def __init__(self, name: str, open_writer: Callable[[], AtomicWriter], timeout: float):
        self.name = name
        self.timeout = timeout
        self.error: BaseException | None = None
        self.committed = False
        self.done = threading.Event()
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=QUEUE_CHUNKS)
        self._open = open_writer
        # A daemon: a child that hangs for good must not keep the process from exiting.
        context = contextvars.copy_context()  # the writer's, as for ChildCalls
        threading.Thread(
            target=context.run, args=(self._run,), name=f"mirror-write-{name}", daemon=True
        ).start()

    def _run(self) -> None:
        writer: AtomicWriter | None = None
        try:
            writer = self._open()
            while True:
                item = self._queue.get()
                if item is _COMMIT:
                    writer.commit()
                    self.committed = True
                    return
                if item is _ABORT:
                    writer.abort()
                    return
                writer.write(item)
        except BaseException as exc:
            self.error = exc
            if writer is not None:
                writer.abort()
        finally:
            self.done.set()

    @property
    def alive(self) -> bool:
        return self.error is None and not self.done.is_set()

    def send(self, item: Any) -> None:
        """Queue ``item``; a child that takes none for ``timeout`` seconds is dropped."""
        deadline = time.monotonic() + self.timeout
        while self.alive:
            try:
                self._queue.put(item, timeout=_POLL)
                return
            except queue.Full:
                if time.monotonic() >= deadline:
                    why = f"mount {self.name!r} took no data for {self.timeout:g} s"
                    self.drop(TimeoutError(why))

    def drop(self, error: BaseException) -> None:
        """Give up on this child: its thread aborts its write whenever it wakes up."""
        self.error = error
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break
        # Emptied just above and only its own thread takes from it: there is room.
        self._queue.put_nowait(_ABORT)

    def wait(self, seconds: float) -> None:
        if self.error is None and not self.done.wait(seconds) and self.error is None:
            self.error = TimeoutError(f"mount {self.name!r} did not commit within {seconds:g} s")


class FanOutWriter(AtomicWriter):
    """One atomic write streamed to several children at once.

    ``on_commit(has, missing)`` hears which children hold the new content once every
    child committed, failed or timed out; it decides (and raises) whether the write
    as a whole succeeded. Aborting the writer aborts every child's write.
    """

    def __init__(
        self,
        openers: Mapping[str, Callable[[], AtomicWriter]],
        timeout: float,
        on_commit: Callable[[Sequence[str], Mapping[str, BaseException]], None],
    ) -> None:
        super().__init__()
        self._streams = [_ChildStream(name, open_, timeout) for name, open_ in openers.items()]
        self._timeout = timeout
        self._on_commit = on_commit
        self._written = 0

    def write(self, data: Any) -> int:
        # Every child gets the same immutable chunk: a caller's bytearray or memoryview
        # is copied once, since the caller may reuse it before the children are done.
        chunk = data if type(data) is bytes else bytes(data)
        for stream in self._streams:
            stream.send(chunk)
        self._written += len(chunk)
        return len(chunk)

    def _commit(self) -> None:
        for stream in self._streams:
            stream.send(_COMMIT)
        deadline = time.monotonic() + self._timeout + self._written / COMMIT_BYTES_PER_SECOND
        for stream in self._streams:
            stream.wait(max(0.0, deadline - time.monotonic()))
        has = [stream.name for stream in self._streams if stream.committed]
        failed = {
            s.name: s.error or OSError("not committed") for s in self._streams if not s.committed
        }
        self._on_commit(has, failed)

    def _abort(self) -> None:
        # Also reached when on_commit refuses the write: children already committed stay
        # as they are (the mirror has recorded them), the others are told to give up.
        for stream in self._streams:
            if not stream.committed and not stream.done.is_set():
                stream.drop(OSError("write aborted"))
