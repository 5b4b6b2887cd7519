"""A real child process stopped half-way through its work, for the ``kill -9`` tests."""

from __future__ import annotations

import signal
import subprocess

__all__ = ["StoppedChild"]


class StoppedChild:
    """Runs ``args``, which print ``writing`` half-way and then wait to be killed."""

    def __init__(self, args: list[str]) -> None:
        self.process = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        assert self.process.stdout.readline().strip() == "writing"

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        assert self.process.returncode == -signal.SIGKILL
