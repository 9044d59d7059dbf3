"""Running a command with its stderr on a pseudo-terminal, as a user at a terminal runs it: what progress it
draws there (the tests of pvkg's progress display), and what it writes elsewhere."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios

from conftest import REPO

from pvkg._build.pipeline import Stages

_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def on_a_terminal(args: list, columns: int = 200, module: str = "pvkg") -> tuple[int, str, str]:
    """Run `python -m module args` with its stderr on a pseudo-terminal (stdout on a pipe): exit code, what
    the terminal received (escape sequences and all), stdout."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")} | {"TERM": "xterm"}
    process = subprocess.Popen([sys.executable, "-m", module, *map(str, args)], cwd=REPO, env=env,
                               stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    received = b""
    while True:
        ready, _, _ = select.select([master], [], [], 0.2)
        try:
            chunk = os.read(master, 65536) if ready else b""
        except OSError:  # EIO: the process closed the terminal
            break
        if ready and not chunk:
            break
        received += chunk
        if not ready and process.poll() is not None:
            break
    os.close(master)
    stdout = process.stdout.read().decode()
    return process.wait(), received.decode(errors="replace"), stdout


def shown_lines(received: str) -> list[str]:
    """The lines the terminal showed, escape sequences taken out (each redraw of the display is lines again)."""
    return [line.strip() for line in re.split(r"[\r\n]+", _ESCAPE.sub("", received)) if line.strip()]


def counted(lines: list[str], description: str, unit: str) -> list[str]:
    """The counts shown on the lines of a stage (`12/345 triples` while it runs, `345 triples` when done)."""
    pattern = re.compile(re.escape(description) + r".*?(\d[\d,]*(?:/\d[\d,]*)?) " + re.escape(unit) + r"\b")
    return [match.group(1) for line in lines if (match := pattern.search(line))]


class RecordedStages(Stages):
    """Stages that keep what they are told, as [description, total, unit, how much was advanced], a stage a row:
    what a terminal would show, without the terminal."""

    def __init__(self) -> None:
        self.rows: list[list] = []

    def start(self, description: str, total: int | None = None, unit: str = "") -> None:
        self.rows.append([description, total, unit, 0])

    def advance(self, count: int = 1) -> None:
        self.rows[-1][3] += count

    def counted(self) -> list[list]:
        return [row for row in self.rows if row[1] is not None]
