"""One way for the tests to run `satudata` (or another module of this tree) as a real process.

Every process gets the caller's environment without the developer's own bot settings
(TELEGRAM_*, SATUDATA_*, WEBHOOK_*, CKAN_*, DATABASE_URL), this repository first on
PYTHONPATH whatever its working directory, and what the test sets. One-shot commands are run
to completion (`satudata`, or `satudata_async` while the test's event loop serves a fake);
long-running ones are spawned by `Processes`, each in a process group of its own, writing to
log files (a pipe nobody reads can fill up and stall a chatty process); whatever is still
running at teardown is killed with its group, so no process outlives its test.

Deadlines are generous bounds, not measurements: a start-up takes a few seconds on an idle
machine (imports, migrations, the demo registry) and several times that on a starved one.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 120.0  # one command, start to finish
STARTUP = 120.0  # until a long-running process is ready (listening, polling, leading)
STOP = 60.0  # from a signal to the exit
_SETTINGS = ("TELEGRAM_", "SATUDATA_", "WEBHOOK_", "CKAN_")


def cli_env(database: Path | str | None = None, **settings: str) -> dict[str, str]:
    """The environment of a `satudata` process: a SQLite file (a Path) or a URL (a str)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(_SETTINGS) and key != "DATABASE_URL"
    }
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    if database is not None:
        env["DATABASE_URL"] = database if isinstance(database, str) else f"sqlite:///{database}"
    return env | settings


def satudata(
    *args: str,
    cwd: Path,
    database: Path | str | None = None,
    env: dict[str, str] | None = None,
    stdin: str = "",
    umask: int = -1,
) -> subprocess.CompletedProcess[str]:
    """`satudata <args>` to completion, its output captured as text; `umask` as the
    operator's shell would set it (-1: this process's own)."""
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=cwd,
        env=env if env is not None else cli_env(database),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
        umask=umask,
    )


async def satudata_async(
    *args: str, cwd: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """`satudata` to completion without blocking the event loop (it may serve a fake)."""
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "bot.cli", *args),
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), TIMEOUT)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode is not None
    return subprocess.CompletedProcess(args, process.returncode, out.decode(), err.decode())


@dataclass
class Spawned:
    """A long-running process; its stdout and stderr are files next to each other."""

    process: asyncio.subprocess.Process
    stdout: Path
    stderr: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def returncode(self) -> int | None:
        return self.process.returncode

    def output(self) -> str:
        return self.stdout.read_text(errors="replace")

    def errors(self) -> str:
        return self.stderr.read_text(errors="replace")

    def send(self, number: int) -> None:
        """Send the signal `number`, unless it has already exited."""
        if self.process.returncode is None:
            self.process.send_signal(number)

    async def finish(self, within: float = STOP) -> int:
        """Its exit code, once it has exited (after a signal, or by itself)."""
        try:
            return await asyncio.wait_for(self.process.wait(), within)
        except TimeoutError:
            raise AssertionError(
                f"process {self.pid} still running {within:.0f} s later:\n{self.tail()}"
            ) from None

    async def stop(self, number: int = signal.SIGTERM, within: float = STOP) -> int:
        self.send(number)
        return await self.finish(within)

    async def line(
        self, pattern: str, within: float = STARTUP, stdout: bool = False
    ) -> re.Match[str]:
        """The first line of its stderr (or stdout) matching `pattern`, once it is written."""
        log = self.stdout if stdout else self.stderr
        regex = re.compile(pattern)
        deadline = time.monotonic() + within
        while True:
            found = regex.search(log.read_text(errors="replace"))
            if found:
                return found
            if self.process.returncode is not None:
                raise AssertionError(f"exited {self.returncode} before {pattern!r}:\n{self.tail()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"no {pattern!r} within {within:.0f} s:\n{self.tail()}")
            await asyncio.sleep(0.05)

    def tail(self, lines: int = 30) -> str:
        text = self.errors().splitlines() + self.output().splitlines()
        return "\n".join(text[-lines:])

    def kill_group(self) -> None:
        """SIGKILL to its process group, while the group is still its own (not yet reaped)."""
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGKILL)


class Processes:
    """The processes one test spawned; `close` kills whatever is left, with its group."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.spawned: list[Spawned] = []

    async def satudata(self, *args: str, cwd: Path, env: dict[str, str], name: str) -> Spawned:
        return await self.python("-m", "bot.cli", *args, cwd=cwd, env=env, name=name)

    async def python(self, *args: str, cwd: Path, env: dict[str, str], name: str) -> Spawned:
        """`python <args>`; `name` names its log files (`<name>.out`, `<name>.err`)."""
        out, err = self.logs / f"{name}.out", self.logs / f"{name}.err"
        with out.open("wb") as stdout, err.open("wb") as stderr:
            process = await asyncio.create_subprocess_exec(
                *(sys.executable, *args),
                cwd=cwd,
                env=env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=stdout,
                stderr=stderr,
                start_new_session=True,
            )
        spawned = Spawned(process, out, err)
        self.spawned.append(spawned)
        return spawned

    async def close(self) -> None:
        for spawned in self.spawned:
            spawned.kill_group()
        for spawned in self.spawned:
            await spawned.process.wait()
