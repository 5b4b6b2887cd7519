"""Shared measuring tools for the benchmarks: medians of timings, ratios, peak RSS.

Every benchmark measures its baseline in the same run, on the same data, and
prints ``ours / baseline`` against a target, so figures from different machines
compare by ratio rather than by absolute time. Timings are medians that keep their
rounds (:class:`Timing`), so each row also prints how far the rounds spread: on a
noisy machine a ratio is only as good as that spread.
"""

from __future__ import annotations

import statistics
import threading
import time
import timeit
from collections.abc import Callable
from dataclasses import dataclass

import psutil

__all__ = ["Row", "Timing", "median_seconds", "peak_rss_growth", "print_rows"]


class Timing(float):
    """A median (a ``float``, usable wherever a number is) that keeps the rounds it
    was taken from."""

    rounds: tuple[float, ...]

    def __new__(cls, rounds: list[float]) -> Timing:
        timing = super().__new__(cls, statistics.median(rounds))
        timing.rounds = tuple(rounds)
        return timing

    @property
    def spread(self) -> float:
        """Half the range of the rounds, relative to the median (0.05 is ±5 %)."""
        median = float(self)
        if median == 0:
            return 0.0
        return (max(self.rounds) - min(self.rounds)) / 2 / median


def median_seconds(
    function: Callable[[], object], *, repeat: int = 7, min_time: float = 0.2
) -> Timing:
    """Median time of one call, from ``repeat`` rounds of enough calls to last ``min_time``."""
    timer = timeit.Timer(function)
    number = 1
    while timer.timeit(number) < min_time / 4:
        number *= 2
    return Timing([timer.timeit(number) / number for _ in range(repeat)])


def peak_rss_growth(function: Callable[[], object], *, interval: float = 0.002) -> int:
    """Bytes the process RSS grew at its peak while ``function`` ran (sampled)."""
    process = psutil.Process()
    baseline = process.memory_info().rss
    peak = baseline
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, process.memory_info().rss)
            time.sleep(interval)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        function()
    finally:
        done.set()
        sampler.join()
    peak = max(peak, process.memory_info().rss)
    return peak - baseline


@dataclass
class Row:
    name: str
    ours: float
    baseline: float | None
    target: float | None  # the ratio (or absolute value, see unit) not to exceed
    unit: str = "s"

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or self.baseline == 0:
            return None
        return self.ours / self.baseline

    @property
    def met(self) -> bool | None:
        if self.target is None:
            return None
        value = self.ratio if self.baseline is not None else self.ours
        return value is not None and value <= self.target


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "s":
        return f"{value * 1e6:.2f} us" if value < 1e-3 else f"{value * 1e3:.2f} ms"
    if unit == "MB":
        return f"{value / 2**20:.1f} MB"
    return f"{value:.3g} {unit}"


def _spread(value: float | None) -> str:
    return f"±{value.spread:.0%}" if isinstance(value, Timing) else "-"


def print_rows(title: str, rows: list[Row]) -> bool:
    """Print a table; return True when every target is met. The spread columns give each
    side's half-range of rounds around its median (see :class:`Timing`)."""
    print(f"\n== {title}")
    print(
        f"{'measure':<48} {'ours':>12} {'baseline':>12} {'ratio':>7} {'target':>8}  ok"
        f"  {'spread ours/base':>16}"
    )
    all_met = True
    for row in rows:
        ratio = f"{row.ratio:.2f}x" if row.ratio is not None else "-"
        if row.target is None:
            target = "-"
        elif row.baseline is not None:
            target = f"<={row.target:.2f}x"
        else:
            target = "<=" + _fmt(row.target, row.unit)
        met = row.met
        all_met = all_met and met is not False
        mark = {True: "yes", False: "NO", None: ""}[met]
        print(
            f"{row.name:<48} {_fmt(row.ours, row.unit):>12} "
            f"{_fmt(row.baseline, row.unit):>12} {ratio:>7} {target:>8}  {mark:<3}"
            f"  {_spread(row.ours) + '/' + _spread(row.baseline):>16}"
        )
    return all_met
