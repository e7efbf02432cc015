"""Progress of an import on stderr: a tqdm bar on a terminal, plain periodic lines elsewhere.

tqdm is optional (the ``cli`` extra); without it, or when stderr is a file or a pipe (CI
logs, ``2>log``), a line is printed every few seconds instead, which reads well in a log
and costs nothing per invoice.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from typing import Any, Literal, Protocol, TextIO

import attrs

__all__ = ["Counts", "LineProgress", "Noun", "Outcome", "Progress", "TqdmProgress", "format_summary", "make_progress"]

Outcome = Literal["created", "failed", "skipped"]
LINE_INTERVAL = 2.0
"""Seconds between two plain progress lines."""


@attrs.frozen
class Noun:
    """What an import's records are called: ``invoice`` / ``invoices``."""

    one: str
    many: str


@attrs.define
class Counts:
    """How many records ended which way so far."""

    created: int = 0
    failed: int = 0
    skipped: int = 0

    @property
    def done(self) -> int:
        """Records dealt with in any way."""
        return self.created + self.failed + self.skipped

    @property
    def processed(self) -> int:
        """Records this run created or failed (the work that took time)."""
        return self.created + self.failed

    def add(self, outcome: Outcome) -> None:
        """Count one record."""
        setattr(self, outcome, getattr(self, outcome) + 1)


class Progress(Protocol):
    """Where an import reports each record's outcome and its messages."""

    counts: Counts

    def advance(self, outcome: Outcome) -> None:
        """Count one record and show it."""

    def note(self, message: str) -> None:
        """Print a message line without garbling the progress display."""

    def refresh(self) -> None:
        """Update the display (called about once a second, so that a stall is visible)."""

    def close(self) -> None:
        """Leave the display in a clean state."""


def make_progress(stream: TextIO, total: int | None, *, noun: Noun, bar: bool | None = None) -> Progress:
    """A tqdm bar when ``stream`` is a terminal and tqdm is installed, else plain lines.

    :param total: how many records the input holds, when known (for the ETA).
    :param noun: what the records are, for the display.
    :param bar: force the choice (None: decide from the terminal and tqdm's presence).
    """
    tqdm = _tqdm_class() if bar is not False else None
    use_bar = bar if bar is not None else stream.isatty()
    if tqdm is not None and use_bar:
        return TqdmProgress(tqdm, stream, total, noun=noun)
    return LineProgress(stream, total, noun=noun)


def _tqdm_class() -> Any:
    # Imported by name: tqdm ships no type information, and it is an optional dependency.
    try:
        return importlib.import_module("tqdm").tqdm
    except ImportError:
        return None


class TqdmProgress:
    """A tqdm bar: rate, ETA when the total is known, and the counts in its postfix."""

    def __init__(self, tqdm: Any, stream: TextIO, total: int | None, *, noun: Noun) -> None:
        self.counts = Counts()
        self._tqdm = tqdm
        self._stream = stream
        self._bar = tqdm(total=total, unit=f" {noun.one}", file=stream, dynamic_ncols=True, smoothing=0.1)
        self._show_counts()

    def advance(self, outcome: Outcome) -> None:
        self.counts.add(outcome)
        self._show_counts()
        self._bar.update(1)

    def _show_counts(self) -> None:
        counts = self.counts
        text = f"created={counts.created}, failed={counts.failed}"
        if counts.skipped:
            text += f", skipped={counts.skipped}"
        # No redraw here: update() redraws at most every tqdm.mininterval.
        self._bar.set_postfix_str(text, refresh=False)

    def note(self, message: str) -> None:
        self._tqdm.write(message, file=self._stream)

    def refresh(self) -> None:
        self._bar.refresh()

    def close(self) -> None:
        self._bar.close()


class LineProgress:
    """One line every :data:`LINE_INTERVAL` seconds: counts, rate and ETA."""

    def __init__(
        self, stream: TextIO, total: int | None, *, noun: Noun, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.counts = Counts()
        self._stream = stream
        self._total = total
        self._noun = noun
        self._clock = clock
        self._started = self._last = clock()

    def advance(self, outcome: Outcome) -> None:
        self.counts.add(outcome)
        self.refresh()

    def note(self, message: str) -> None:
        print(message, file=self._stream, flush=True)

    def refresh(self) -> None:
        now = self._clock()
        if now - self._last >= LINE_INTERVAL:
            self._last = now
            print(self.line(now), file=self._stream, flush=True)

    def line(self, now: float) -> str:
        """The progress line at time ``now``."""
        counts, total = self.counts, self._total
        rate = counts.processed / max(now - self._started, 1e-9)
        many = self._noun.many
        done = f"{counts.done}/{total} {many} ({counts.done / total:.0%})" if total else f"{counts.done} {many}"
        text = f"fragment: {done}: {_counts_text(counts)}; {rate:.1f}/s"
        if total and rate > 0 and total > counts.done:
            text += f", ETA {_duration((total - counts.done) / rate)}"
        return text

    def close(self) -> None:
        pass


def format_summary(counts: Counts, elapsed: float, *, noun: Noun) -> str:
    """The closing line of an import: counts, elapsed time and rate."""
    rate = counts.processed / elapsed if elapsed > 0 else 0.0
    return f"fragment: {_counts_text(counts)} in {elapsed:.2f}s ({rate:.1f} {noun.many}/s)"


def _counts_text(counts: Counts) -> str:
    return f"{counts.created} created, {counts.failed} failed, {counts.skipped} skipped"


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"
