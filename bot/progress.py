"""A one-line progress bar for long operator commands, drawn only on a terminal."""

from __future__ import annotations

import sys
from typing import TextIO

WIDTH = 30


class ProgressBar:
    """Call with (done, total); total None draws a counter. `close()` ends the line."""

    def __init__(self, label: str, stream: TextIO | None = None) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.active = self.stream.isatty()
        self._drawn = False

    def __call__(self, done: int, total: int | None) -> None:
        if not self.active:
            return
        if total:
            filled = min(WIDTH, WIDTH * done // total)
            bar = f"[{'#' * filled}{'.' * (WIDTH - filled)}] {done:,}/{total:,}"
        else:
            bar = f"{done:,}"
        self.stream.write(f"\r{self.label} {bar}".replace(",", "."))
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()
