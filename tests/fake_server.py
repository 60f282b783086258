"""The base of the tests' fake HTTP services (the Telegram Bot API, a CKAN portal).

Each is a real aiohttp server on 127.0.0.1 at a port the system chooses, so any number of
them run side by side (pytest-xdist workers included). Faults are queued per endpoint and
answered in order, one per request, instead of the real thing; what a kind of fault means is
each service's own business. Stopping wakes every request the fake holds open (long polls,
simulated timeouts), so a test's teardown never waits for them to run out.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import web

HOST = "127.0.0.1"
# How long a test waits for something the bot is expected to do: far longer than it takes on
# a starved machine, so reaching it means the thing is not happening, not that it is slow.
WAIT = 60.0


@dataclass
class Fault:
    kind: str  # the service's own vocabulary: "429", "500", "timeout", ...
    retry_after: int = 1


@dataclass(kw_only=True)
class FakeServer:
    """Lifecycle, fault queues and waiting; subclasses add their routes in `routes`."""

    port: int = 0
    _faults: dict[str, list[Fault]] = field(default_factory=dict)
    _runner: web.AppRunner | None = None
    _stopping: asyncio.Event = field(default_factory=asyncio.Event)

    def routes(self, app: web.Application) -> None:
        raise NotImplementedError

    def application(self) -> web.Application:
        return web.Application()

    async def start(self, port: int = 0) -> None:
        app = self.application()
        self.routes(app)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, HOST, port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        self._stopping.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    @property
    def origin(self) -> str:
        return f"http://{HOST}:{self.port}"

    # -- faults ------------------------------------------------------------------------------

    def inject(self, endpoint: str, kind: str, count: int = 1, retry_after: int = 1) -> None:
        self._faults.setdefault(endpoint, []).extend(Fault(kind, retry_after) for _ in range(count))

    def clear_faults(self) -> None:
        """The service is healthy again: faults not yet served are dropped."""
        self._faults.clear()

    def pending_faults(self, endpoint: str) -> int:
        return len(self._faults.get(endpoint, []))

    def _next_fault(self, endpoint: str) -> Fault | None:
        queue = self._faults.get(endpoint)
        return queue.pop(0) if queue else None

    async def hold(self, seconds: float, wake: asyncio.Event | None = None) -> None:
        """Keep a request open for `seconds`, until `wake` is set, or until the fake stops."""
        events = [self._stopping, *([wake] if wake is not None else [])]
        waiters = [asyncio.ensure_future(event.wait()) for event in events]
        try:
            await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()

    # -- what tests drive ----------------------------------------------------------------------

    def describe_calls(self) -> str:
        """What the fake received so far, for a failure message."""
        return ""

    async def wait_for(
        self, condition: Callable[[], bool], within: float = WAIT, what: str = ""
    ) -> None:
        """Until `condition()` holds; polls, so a generous `within` costs nothing when it does."""
        deadline = time.monotonic() + within
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"timed out after {within:.0f} s waiting for {what or 'the condition'};"
                    f" calls so far: {self.describe_calls()}"
                )
            await asyncio.sleep(0.02)
