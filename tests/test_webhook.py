"""Webhook mode end to end: real HTTP on 127.0.0.1 in, the fake Bot API out."""

from __future__ import annotations

import asyncio
import itertools
import logging
import re
import shutil
import signal
import sqlite3
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot import transport
from bot.background import CATALOG_REFRESH_MINUTES, Background
from bot.config import ConfigError, Settings
from bot.metrics import Metrics
from bot.telegram_aiogram import serve_webhook_aiogram
from bot.telegram_ptb import serve_webhook
from bot.webhook import SECRET_HEADER, Readiness, WebhookServer
from bot.wiring import Runtime
from storage import db
from tests.cli_runner import STARTUP, STOP, Processes, cli_env, satudata_async
from tests.fake_bot_api import TOKEN, FakeBotApi
from tests.fake_server import WAIT
from tests.test_telegram_transport import Made, assert_stopped

SECRET = "rahasia_webhook-42"
URL = "https://bot.example.go.id/hook/telegram"
CHAT = 501
_update_ids = itertools.count(1)


LISTENING = re.compile(r"listening on http://127\.0\.0\.1:(\d+)")


def message_update(text: str, chat_id: int = CHAT) -> dict[str, Any]:
    user = {"id": chat_id, "is_bot": False, "first_name": "Pengguna", "language_code": "id"}
    message: dict[str, Any] = {
        "message_id": next(_update_ids),
        "date": int(time.time()),
        "chat": {"id": chat_id, "type": "private"},
        "from": user,
        "text": text,
    }
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return {"update_id": next(_update_ids), "message": message}


def webhook_env(api: FakeBotApi, database: Path, port: int, **extra: str) -> dict[str, str]:
    return {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": api.base_url,
        "DATABASE_URL": f"sqlite:///{database}",
        "WEBHOOK_URL": URL,
        "WEBHOOK_SECRET": SECRET,
        "WEBHOOK_LISTEN": f"127.0.0.1:{port}",
        "WEBHOOK_WORKERS": "4",
        **extra,
    }


def texts_to(api: FakeBotApi, chat_id: int = CHAT) -> list[str]:
    return [c.params.get("text") or c.params.get("caption") or "" for c in api.sent_to(chat_id)]


async def until_listening(base: str, within: float = STARTUP) -> None:
    deadline = time.monotonic() + within
    async with httpx.AsyncClient() as client:
        while True:
            try:
                if (await client.get(f"{base}/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"{base} never answered /healthz")
            await asyncio.sleep(0.05)


@dataclass
class Serving:
    api: FakeBotApi
    base: str
    client: httpx.AsyncClient
    database: Path

    async def post(self, body: Any, secret: str | None = SECRET) -> httpx.Response:
        headers = {SECRET_HEADER: secret} if secret is not None else {}
        if isinstance(body, bytes):
            return await self.client.post(
                f"{self.base}/hook/telegram", content=body, headers=headers
            )
        return await self.client.post(f"{self.base}/hook/telegram", json=body, headers=headers)


SERVE = {"ptb": serve_webhook, "aiogram": serve_webhook_aiogram}


@pytest.fixture(params=sorted(SERVE))
async def serving(
    request: pytest.FixtureRequest,
    api: FakeBotApi,
    demo_db: Path,
    caplog: pytest.LogCaptureFixture,
) -> AsyncIterator[Serving]:
    """The webhook server of each Telegram library in this event loop on a copy of the demo
    registry, on a port the system chose, stopped cleanly."""
    caplog.set_level(logging.INFO, logger="bot")
    env = webhook_env(api, demo_db, 0, TELEGRAM_LIBRARY=request.param)
    settings = Settings.from_env(environ=env, env_file=None)
    stop = asyncio.Event()
    task = asyncio.create_task(SERVE[request.param](settings, stop=stop, request_timeout=3))
    base = f"http://127.0.0.1:{await logged_port(caplog, task)}"
    await until_listening(base)
    async with httpx.AsyncClient(timeout=10) as client:
        yield Serving(api, base, client, demo_db)
    stop.set()
    assert await asyncio.wait_for(task, STOP) == 0


async def logged_port(caplog: pytest.LogCaptureFixture, server: asyncio.Task[int]) -> int:
    """The port the server chose for WEBHOOK_LISTEN's port 0, from its "listening on" line."""
    deadline = time.monotonic() + STARTUP
    while not server.done() and time.monotonic() < deadline:
        for record in caplog.records:
            if found := LISTENING.search(record.getMessage()):
                return int(found[1])
        await asyncio.sleep(0.02)
    raise AssertionError(f"the server never said where it listens: {server}")


async def test_the_webhook_is_registered_with_the_url_and_the_secret(serving: Serving) -> None:
    (call,) = serving.api.calls_to("setWebhook")
    assert call.params["url"] == URL
    assert call.params["secret_token"] == SECRET
    assert call.params["allowed_updates"] in (
        ["message", "callback_query"],
        '["message", "callback_query"]',
    )
    assert str(call.params.get("drop_pending_updates")).lower() == "false"
    assert len(serving.api.calls_to("setMyCommands")) == 2


async def test_a_question_posted_with_the_secret_is_answered(serving: Serving) -> None:
    start = await serving.post(message_update("/start"))
    question = await serving.post(message_update("IPM Kabupaten Pasuruan"))
    assert (start.status_code, question.status_code) == (200, 200)
    await serving.api.wait_for(lambda: any("73,02" in t for t in texts_to(serving.api)))
    await serving.api.wait_for(lambda: any("Selamat datang" in t for t in texts_to(serving.api)))


async def test_a_wrong_or_missing_secret_is_refused_and_nothing_is_handled(
    serving: Serving,
) -> None:
    wrong = await serving.post(message_update("/start"), secret="tebakan")
    missing = await serving.post(message_update("/start"), secret=None)
    assert (wrong.status_code, missing.status_code) == (401, 401)
    # A later good update is answered, and it is the only one.
    await serving.post(message_update("/start", chat_id=502))
    await serving.api.wait_for(lambda: bool(texts_to(serving.api, 502)))
    assert texts_to(serving.api) == []


async def test_a_body_that_is_not_an_update_is_a_bad_request(serving: Serving) -> None:
    garbage = await serving.post(b"{not json")
    array = await serving.post([1, 2, 3])
    deep = await serving.post(
        b'{"update_id": 1, "message": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    )
    other = await serving.post({"hello": "world"})
    unnumbered = await serving.post({"update_id": "1", "message": {}})
    statuses = [r.status_code for r in (garbage, array, deep, other, unnumbered)]
    assert statuses == [400] * 5, [r.text for r in (garbage, array, deep, other, unnumbered)]
    # The server is still well: a real update after them is answered.
    await serving.post(message_update("/start", chat_id=503))
    await serving.api.wait_for(lambda: bool(texts_to(serving.api, 503)))


async def test_health_readiness_and_metrics(serving: Serving) -> None:
    health = await serving.client.get(f"{serving.base}/healthz")
    ready = await serving.client.get(f"{serving.base}/readyz")
    assert (health.status_code, ready.status_code) == (200, 200)

    await serving.post(message_update("IPM Kota Batu 2023"))
    await serving.post({"update_id": 99, "message": {"chat": "not a chat"}})
    await serving.api.wait_for(lambda: any("79,07" in t for t in texts_to(serving.api)))
    metrics = await wait_for_metric(serving, 'satudata_updates_total{kind="error"} 1.0')
    assert 'satudata_updates_total{kind="message"} 1.0' in metrics
    assert "satudata_answer_seconds_count 1.0" in metrics
    assert "satudata_outbox_depth" in metrics
    assert 'satudata_deliveries_total{result="sent"}' in metrics


async def test_a_button_press_is_acknowledged_and_counted_as_a_callback(serving: Serving) -> None:
    user = {"id": CHAT, "is_bot": False, "first_name": "Pengguna", "language_code": "id"}
    message = message_update("pilih")["message"] | {"from": {**user, "is_bot": True}}
    callback = {"id": "cb1", "from": user, "chat_instance": "ci1", "data": "x", "message": message}
    response = await serving.post({"update_id": next(_update_ids), "callback_query": callback})
    assert response.status_code == 200
    await serving.api.wait_for(lambda: bool(serving.api.calls_to("answerCallbackQuery")))
    await wait_for_metric(serving, 'satudata_updates_total{kind="callback"} 1.0')


async def test_outbox_deliveries_and_depth_are_measured(serving: Serving) -> None:
    def enqueue() -> None:
        # The bot writes to the same file (its tick and digest run at start): this waits for
        # its lock in a thread, so the bot's event loop, shared with the test, can release it.
        with sqlite3.connect(serving.database, timeout=60) as conn:
            conn.execute(
                "INSERT INTO outbox (key, kind, chat_id, text, buttons, status, attempts,"
                " next_attempt_at, created_at, error) VALUES ('uji:1', 'notice', 601,"
                " 'pesan uji', '[]', 'pending', 0, '2000-01-01', '2000-01-01', '')"
            )
        conn.close()

    await asyncio.to_thread(enqueue)
    await serving.api.wait_for(lambda: "pesan uji" in texts_to(serving.api, 601))
    metrics = await wait_for_metric(serving, 'satudata_deliveries_total{result="sent"} 1.0')
    assert "satudata_outbox_depth 0.0" in metrics or "satudata_outbox_depth 1.0" in metrics
    assert "satudata_outbox_paused 0.0" in metrics  # the API answers: not paused


async def wait_for_metric(serving: Serving, line: str, within: float = WAIT) -> str:
    deadline = time.monotonic() + within
    while True:
        text = (await serving.client.get(f"{serving.base}/metrics")).text
        if line in text:
            return text
        if time.monotonic() > deadline:
            raise AssertionError(f"{line!r} not in:\n{text}")
        await asyncio.sleep(0.1)


async def test_readiness_names_what_is_missing(demo_db: Path, tmp_path: Path) -> None:
    good = db.create_engine(f"sqlite:///{demo_db}")
    gone = db.create_engine(f"sqlite:///{tmp_path}/removed/satudata.db")
    shutil.rmtree(tmp_path / "removed")  # the volume holding the database went away
    empty = db.create_engine(f"sqlite:///{tmp_path}/empty.db")
    try:
        assert await Readiness(good, bot_ok=True).problem() is None
        assert await Readiness(good, bot_ok=False).problem() == "Telegram getMe has not succeeded"
        unreachable = await Readiness(gone, bot_ok=True).problem()
        assert unreachable is not None and unreachable.startswith("database unreachable")
        outdated = await Readiness(empty, bot_ok=True).problem()
        assert outdated is not None and "schema is not current" in outdated
    finally:
        for engine in (good, gone, empty):
            await engine.dispose()


class BlockedSink:
    """Takes updates and holds them until released: a worker busier than Telegram is fast."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.fed: list[dict[str, Any]] = []

    async def feed(self, update: dict[str, Any]) -> None:
        await self.release.wait()
        self.fed.append(update)


async def test_a_full_queue_answers_503_and_stopping_drains_what_was_queued(
    demo_db: Path,
) -> None:
    engine = db.create_engine(f"sqlite:///{demo_db}")
    sink = BlockedSink()
    server = WebhookServer(
        sink, SECRET, Metrics(engine), Readiness(engine), workers=1, queue_size=2
    )
    port = await server.start("127.0.0.1", 0)
    url = f"http://127.0.0.1:{port}/telegram"
    try:
        async with httpx.AsyncClient() as client:
            codes = []
            for _ in range(6):
                response = await client.post(
                    url, json=message_update("hai"), headers={SECRET_HEADER: SECRET}
                )
                codes.append(response.status_code)
            ready = await client.get(f"http://127.0.0.1:{port}/readyz")
        # One update with the consumer, two queued; the rest are for Telegram to retry.
        assert codes.count(200) in (2, 3) and codes.count(503) == 6 - codes.count(200)
        assert ready.status_code == 503 and "getMe" in ready.text
        sink.release.set()
        await server.stop(drain_seconds=30)
        assert len(sink.fed) == codes.count(200)
    finally:
        await engine.dispose()


@pytest.mark.parametrize(
    ("variables", "named"),
    [
        ({"WEBHOOK_SECRET": "spasi tidak boleh"}, "WEBHOOK_SECRET"),
        ({"WEBHOOK_SECRET": "x" * 257}, "WEBHOOK_SECRET"),
        ({"WEBHOOK_URL": "http://bot.example.go.id/telegram"}, "WEBHOOK_URL"),
        ({"WEBHOOK_LISTEN": "8080"}, "WEBHOOK_LISTEN"),
        ({"WEBHOOK_WORKERS": "0"}, "WEBHOOK_WORKERS"),
        ({"SATUDATA_BACKGROUND": "kadang"}, "SATUDATA_BACKGROUND"),
    ],
)
def test_bad_webhook_settings_name_the_variable(variables: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        Settings.from_env(environ=variables, env_file=None)


def test_the_webhook_path_follows_the_public_url() -> None:
    settings = Settings.from_env(environ={"WEBHOOK_URL": URL}, env_file=None)
    bare = Settings.from_env(environ={"WEBHOOK_URL": "https://bot.example.go.id"}, env_file=None)
    assert (settings.webhook_path, bare.webhook_path) == ("/hook/telegram", "/telegram")
    assert settings.webhook_listen == ("127.0.0.1", 8080) and settings.webhook_workers == 8
    assert settings.background


@pytest.mark.parametrize("missing", ["WEBHOOK_URL", "WEBHOOK_SECRET"])
async def test_serve_webhook_without_its_settings_is_one_line_exit_2(
    api: FakeBotApi, demo_db: Path, tmp_path: Path, missing: str
) -> None:
    env = webhook_env(api, demo_db, 0)
    del env[missing]
    result = await satudata_async("serve", "--webhook", cwd=tmp_path, env=cli_env(**env))
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2
    assert len(lines) == 1 and lines[0].startswith(f"satudata: {missing} is required")


async def test_the_command_serves_and_exits_0_on_sigterm(
    api: FakeBotApi, demo_db: Path, tmp_path: Path, processes: Processes
) -> None:
    env = cli_env(**webhook_env(api, demo_db, 0))
    bot = await processes.satudata("serve", "--webhook", cwd=tmp_path, env=env, name="serve")
    port = int((await bot.line(LISTENING.pattern))[1])
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.post(
            f"http://127.0.0.1:{port}/hook/telegram",
            json=message_update("IPM Kabupaten Pasuruan"),
            headers={SECRET_HEADER: SECRET},
        )
    assert response.status_code == 200
    await api.wait_for(lambda: any("73,02" in t for t in texts_to(api)), what="the answer")
    assert await bot.stop(signal.SIGTERM) == 0, bot.tail()
    assert "Traceback" not in bot.errors()
    assert api.calls_to("deleteWebhook") == []


@pytest.mark.parametrize("library", sorted(SERVE))
async def test_a_stop_cancelled_while_the_server_drains_still_answers(
    api: FakeBotApi, demo_db: Path, caplog: pytest.LogCaptureFixture, library: str
) -> None:
    """The update taken before the stop is answered, though the stop itself is cancelled
    meanwhile; then every step has stopped once and the cancellation is re-raised."""
    caplog.set_level(logging.INFO, logger="bot")
    env = webhook_env(api, demo_db, 0, TELEGRAM_LIBRARY=library)
    settings = Settings.from_env(environ=env, env_file=None)
    made, stop = Made(library), asyncio.Event()
    task = asyncio.create_task(
        transport.serve_webhook(made, settings, stop=stop, request_timeout=WAIT)
    )
    url = f"http://127.0.0.1:{await logged_port(caplog, task)}/hook/telegram"
    api.inject("sendMessage", "hang")
    async with httpx.AsyncClient(timeout=10) as client:

        async def post() -> int:
            update = message_update("/start")
            response = await client.post(url, json=update, headers={SECRET_HEADER: SECRET})
            return response.status_code

        assert await post() == 200
        await api.wait_for(lambda: bool(api.hanging.get("sendMessage")), what="the reply")
        stop.set()
        accepted = 1
        for _ in range(int(WAIT / 0.02)):  # until refused: stopping, Telegram retries elsewhere
            if await post() == 503:
                break
            accepted += 1  # taken before the stop began: it is answered too
            await asyncio.sleep(0.02)
        else:
            raise AssertionError("the server never began to stop")
    task.cancel()
    api.release()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, STOP)
    assert len([t for t in texts_to(api) if "Selamat datang" in t]) == accepted
    await assert_stopped(made, caplog)


async def test_a_worker_without_background_jobs_still_refreshes_its_catalog(
    runtime: Runtime, demo_db: Path
) -> None:
    """SATUDATA_BACKGROUND=off: no tick, digest, portal sync or sender here; but the datasets
    another process imports must become answerable here too."""
    settings = Settings.from_env(
        environ={
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "DATABASE_URL": f"sqlite:///{demo_db}",
            "SATUDATA_BACKGROUND": "off",
        },
        env_file=None,
    )
    background = Background(runtime, settings)
    await background.start()
    try:
        jobs = {job.id: job for job in background.scheduler.get_jobs()}
    finally:
        await background.stop()

    assert list(jobs) == ["catalog-refresh"]
    assert jobs["catalog-refresh"].trigger.interval == timedelta(minutes=CATALOG_REFRESH_MINUTES)
