"""What a long operation shows on a terminal, fed by ``spoolsheet.progress`` steps.

The library calls a ``Progress`` callback with ``Step`` s; this module turns them into a Rich
display on stderr: the phase, ``done/total`` and the unit, elapsed time and an ETA, redrawn four
times a second so the clock moves even between steps. Only the running phase is redrawn: a
finished one is printed once above it, as it ended, so a run of many phases never outgrows the
terminal (Rich would cut the live lines past its height, the running one first). Nothing is
drawn when stderr is not a terminal (a pipe, a log file, a test) and nothing ever goes to
stdout, so ``--json`` output and piped output stay clean. With ``-v`` each new phase is also
printed as a line.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich import filesize
from rich.console import Console
from rich.progress import (
    BarColumn,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.progress import (
    Progress as RichProgress,
)
from rich.text import Text

from ..progress import Step
from .common import err_console


class CountColumn(ProgressColumn):
    """``1,200/2,500 rows`` (or ``1,200 rows`` while the total is unknown); bytes as
    ``12.3 MB/40.1 MB 3.2 MB/s`` (``12.3 MB/≈40.1 MB`` when the total is an estimate, ``12.3 MB
    3.2 MB/s`` without one), since a transfer's speed says how long."""

    def render(self, task: Task) -> Text:
        unit = task.fields.get("unit", "")
        seen = task.fields.get("done", 0)
        if unit == "bytes":
            size = filesize.decimal(seen)
            if task.fields.get("counted"):
                about = "≈" if task.fields.get("estimated") else ""
                size = f"{size}/{about}{filesize.decimal(int(task.total or 0))}"
            if not task.elapsed:
                return Text(size)
            return Text(f"{size} {filesize.decimal(int(seen / task.elapsed))}/s")  # since it began
        if not task.fields.get("counted"):
            return Text(f"{seen:,} {unit}" if seen else "")
        return Text(f"{int(task.completed):,}/{int(task.total or 0):,} {unit}")


class ProgressView:
    """A ``Progress`` callback drawing each phase as one line with its count, clock and ETA."""

    def __init__(self, console: Console, *, live: bool, verbose: bool) -> None:
        self.console = console
        self.live, self.verbose = live, verbose
        self.bar = RichProgress(
            SpinnerColumn(), TextColumn("{task.description}", markup=False), BarColumn(),
            CountColumn(), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
            console=console, transient=False, disable=not live, refresh_per_second=4)
        self.phase: str | None = None
        self.task: TaskID | None = None

    def __call__(self, step: Step) -> None:
        if step.phase != self.phase:
            self._close()
            self.phase = step.phase
            if self.verbose:
                self.console.print(f"step: {step.phase}", soft_wrap=True)
            self.task = self.bar.add_task(step.phase, total=step.total, unit=step.unit,
                                          counted=False)
        assert self.task is not None
        if step.total is None:  # Rich keeps the last total it was given: an estimate passed
            next(t for t in self.bar.tasks if t.id == self.task).total = None
        self.bar.update(self.task, completed=step.done, total=step.total, unit=step.unit,
                        counted=step.total is not None, estimated=step.estimated,
                        done=step.done)

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Stop drawing while the user is asked something (a prompt under a live bar garbles)."""
        self.bar.stop()
        try:
            yield
        finally:
            self.bar.start()

    def _close(self) -> None:
        """A phase ends when the next starts: show it complete, whatever it last said."""
        if self.task is not None:
            task = next(t for t in self.bar.tasks if t.id == self.task)
            total = task.total if task.total is not None else max(task.completed, 1)
            self.bar.update(self.task, total=total, completed=total)
            self.bar.remove_task(self.task)
            self.task = None
            # The live line is redrawn under each print as it was last rendered: rendered
            # again first, without the phase, it cannot show a stale count after the final one.
            self.bar.refresh()
            if self.live:  # above the live line, once; nothing is printed off a terminal
                self.bar.console.print(self.bar.make_tasks_table([task]))


@contextmanager
def progress_view(*, verbose: bool = False,
                  console: Console = err_console) -> Iterator[ProgressView]:
    """The Progress callback a command hands to the library, drawn while the block runs."""
    view = ProgressView(console, live=console.is_terminal, verbose=verbose)
    with view.bar:
        try:
            yield view
        finally:
            view._close()
