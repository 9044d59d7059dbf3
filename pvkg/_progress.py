"""How a long command shows its stages (pipeline.Stages): on a terminal, one line per stage drawn by rich
(which typer brings), the running one with a spinner and a clock, and for a stage that counts its work a bar
with the count, the rate and the time left; elsewhere (a pipe, a log, CI) only the notes, one line each.
Used by the `pvkg` command and by the benchmarks (`python -m bench`)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, ProgressColumn, SpinnerColumn, Task, TextColumn, TimeElapsedColumn
from rich.text import Text

from pvkg._build.pipeline import Stages
from pvkg.errors import printable


def _counted(task: Task) -> bool:
    return bool(task.fields.get("counted"))


class _Bar(BarColumn):
    """The bar of a stage that counts its work; nothing for one that does not."""

    def render(self, task: Task):
        return super().render(task) if _counted(task) else Text("")


class _Count(ProgressColumn):
    """`12,345/1,268,904 triples  9,876 triples/s  2:05 left` for a stage that counts its work (when it is
    done, the count)."""

    def render(self, task: Task) -> Text:
        if not _counted(task):
            return Text("")
        unit = task.fields.get("unit") or ""
        if task.finished:
            return Text(f"{int(task.completed):,} {unit}".rstrip())
        text = f"{int(task.completed):,}/{int(task.total or 0):,} {unit}".rstrip()
        if task.speed:
            text += f"  {task.speed:,.0f} {unit + '/s' if unit else 'a second'}"
        if task.time_remaining is not None:
            minutes, seconds = divmod(int(task.time_remaining), 60)
            text += f"  {minutes}:{seconds:02d} left"
        return Text(text)


class StageLines(Stages):
    """Shows a long command's stages on stderr, a terminal. Nothing is drawn until a stage starts."""

    def __init__(self) -> None:
        self.progress: Progress | None = None
        self.task = None

    def start(self, description: str, total: int | None = None, unit: str = "") -> None:
        if self.progress is None:
            self.progress = Progress(SpinnerColumn(finished_text="[green]done"),
                                     TextColumn("{task.description}", markup=False), _Bar(bar_width=24), _Count(),
                                     TimeElapsedColumn(), console=Console(stderr=True, highlight=False),
                                     refresh_per_second=4)
            self.progress.start()
        self._finish_task()
        counted = total is not None
        self.task = self.progress.add_task(printable(description), total=total if counted else None,
                                           counted=counted, unit=unit)

    def advance(self, count: int = 1) -> None:
        if self.task is not None:
            self.progress.advance(self.task, count)

    def note(self, text: str) -> None:
        if self.progress is None:
            typer.echo(printable(text), err=True)
        else:
            self.progress.console.print(printable(text), markup=False)

    def _finish_task(self) -> None:
        if self.task is not None:
            task = self.progress.tasks[-1]
            if _counted(task):  # done: shown with the count it reached
                self.progress.update(self.task, total=task.completed)
            else:
                self.progress.update(self.task, total=1, completed=1)
            self.task = None

    def close(self) -> None:
        if self.progress is not None:
            self._finish_task()
            self.progress.stop()


class Notes(Stages):
    """Where stderr is not a terminal: no progress, only the notes, one line each."""

    def note(self, text: str) -> None:
        typer.echo(printable(text), err=True)


def on_terminal() -> bool:
    """Whether stderr is a terminal that can draw progress."""
    return sys.stderr.isatty() and os.environ.get("TERM") != "dumb"


@contextmanager
def shown_stages(drawn: bool = True) -> Iterator[Stages]:
    """What receives a command's stages: a display on a terminal, only the notes elsewhere (and where the
    caller says nothing may be drawn: standard output is the same terminal, and writes the output)."""
    if not drawn or not on_terminal():
        yield Notes()
        return
    shown = StageLines()
    try:
        yield shown
    finally:
        shown.close()
