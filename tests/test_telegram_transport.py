"""The Telegram transport end to end, against the fake Bot API on 127.0.0.1.

Every test runs for both libraries (python-telegram-bot and aiogram): they must behave alike.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import signal
import socket
import sqlite3
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from telegram import Bot

from bot import telegram_aiogram, telegram_ptb, transport
from bot.config import Settings
from bot.telegram_aiogram import AiogramTransport
from bot.telegram_ptb import PtbTransport
from bot.transport import Transport, TransportFactory
from bot.wiring import Runtime
from domain.calendar import WorkCalendar
from domain.telegram_limits import TEXT_LIMIT
from handlers.messages import Button, Reply
from reminders.send_budget import LocalBudget
from reports.digest_schedule import DigestSchedule
from tests.cli_runner import STARTUP, STOP, Processes, cli_env, satudata_async
from tests.conftest import copy_database
from tests.fake_bot_api import TOKEN, FakeBotApi
from tests.fake_server import WAIT

OTHER_TOKEN = "654321:revoked-token-the-server-rejects"
CHAT = 501
# Far longer than an answered request takes on a starved machine: only a lost one times out.
REQUEST_TIMEOUT = 3
LIBRARIES = ["ptb", "aiogram"]
SERVE = {"ptb": telegram_ptb.serve_polling, "aiogram": telegram_aiogram.serve_polling_aiogram}
TRANSPORTS: dict[str, TransportFactory] = {"ptb": PtbTransport, "aiogram": AiogramTransport}


@pytest.fixture(params=LIBRARIES)
def library(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def settings_for(
    api: FakeBotApi, tmp_path: Path, token: str = TOKEN, library: str = "ptb"
) -> Settings:
    return Settings.from_env(
        environ={
            "TELEGRAM_BOT_TOKEN": token,
            "TELEGRAM_API_BASE_URL": api.base_url,
            "DATABASE_URL": f"sqlite:///{tmp_path}/bot.db",
            "TELEGRAM_LIBRARY": library,
        },
        env_file=None,
    )


@pytest.fixture
async def serving(api: FakeBotApi, tmp_path: Path, library: str) -> AsyncIterator[FakeBotApi]:
    """The bot polling the fake API in this event loop, stopped cleanly afterwards."""
    stop = asyncio.Event()
    settings = settings_for(api, tmp_path, library=library)
    task = asyncio.create_task(
        SERVE[library](settings, stop=stop, poll_timeout=1, request_timeout=REQUEST_TIMEOUT)
    )
    # Both command menus (Indonesian, English) are registered before polling starts; first
    # the demo registry is loaded, which a starved machine takes a while to do.
    await api.wait_for(
        lambda: len(api.calls_to("setMyCommands")) >= 2 or task.done(),
        within=STARTUP,
        what="both command menus",
    )
    assert not task.done(), task.result()
    yield api
    stop.set()
    assert await asyncio.wait_for(task, STOP) == 0


@pytest.fixture
async def send(
    api: FakeBotApi, tmp_path: Path, library: str
) -> AsyncIterator[Callable[[int, Reply], Awaitable[object]]]:
    """The library's `send_reply`, bound to a bot that talks to the fake API."""
    if library == "ptb":
        async with Bot(TOKEN, base_url=api.base_url) as bot:
            yield lambda chat_id, reply: telegram_ptb.send_reply(bot, chat_id, reply)
    else:
        aiobot = telegram_aiogram.make_bot(settings_for(api, tmp_path), LocalBudget())
        yield lambda chat_id, reply: telegram_aiogram.send_reply(aiobot, chat_id, reply)
        await aiobot.session.close()


def texts_to(api: FakeBotApi, chat_id: int = CHAT) -> list[str]:
    return [c.params.get("text") or c.params.get("caption") or "" for c in api.sent_to(chat_id)]


async def test_start_and_a_question_are_answered(serving: FakeBotApi) -> None:
    serving.push_message("/start")
    await serving.wait_for(lambda: any("Selamat datang" in t for t in texts_to(serving)))
    serving.push_message("IPM Kabupaten Pasuruan")
    await serving.wait_for(lambda: any("73,02" in t for t in texts_to(serving)))
    answer = next(t for t in texts_to(serving) if "73,02" in t)
    assert "Kabupaten Pasuruan (3514), 2025" in answer
    assert "Sumber:" in answer


async def test_command_menu_is_registered_in_both_languages(serving: FakeBotApi) -> None:
    calls = serving.calls_to("setMyCommands")
    by_language = {c.params.get("language_code"): c.params["commands"] for c in calls}
    assert {c["command"] for c in by_language[None]} >= {"start", "bantuan", "data"}
    assert any(c["description"] == "how to use the bot" for c in by_language["en"])
    assert any(c["description"] == "panduan penggunaan" for c in by_language[None])
    # Indonesian names in the default menu, English names for apps set to English.
    assert {c["command"] for c in by_language["en"]} >= {"start", "help", "compliance", "me"}
    assert not {c["command"] for c in by_language[None]} & {"help", "compliance", "me"}
    # A webhook left behind would keep updates from polling: it is removed.
    await serving.wait_for(lambda: bool(serving.calls_to("deleteWebhook")))


async def test_ambiguous_region_offers_buttons_and_a_press_answers(serving: FakeBotApi) -> None:
    serving.push_message("IPM Pasuruan 2022")
    await serving.wait_for(lambda: any(c.params.get("reply_markup") for c in serving.sent_to(CHAT)))
    markup = next(
        c.params["reply_markup"] for c in serving.sent_to(CHAT) if c.params.get("reply_markup")
    )
    buttons = {b["text"]: b["callback_data"] for row in markup["inline_keyboard"] for b in row}
    assert set(buttons) == {"Kabupaten Pasuruan", "Kota Pasuruan"}
    assert all(len(data.encode()) <= 64 for data in buttons.values())
    serving.push_callback(buttons["Kota Pasuruan"])
    await serving.wait_for(
        lambda: any("Kota Pasuruan (3575), 2022" in t for t in texts_to(serving))
    )
    assert serving.calls_to("answerCallbackQuery"), "the button spinner must be stopped"


async def test_a_trend_question_gets_a_chart_photo_with_caption(serving: FakeBotApi) -> None:
    serving.push_message("tren IPM Kota Batu 5 tahun terakhir")
    await serving.wait_for(lambda: bool(serving.calls_to("sendPhoto")))
    photo = serving.calls_to("sendPhoto")[0]
    assert photo.files["photo"].startswith(b"\x89PNG")
    caption = photo.params["caption"]
    assert len(caption) <= 1024
    assert "Kota Batu (3579), 2021–2025" in caption
    assert "Sumber:" in caption


async def test_replies_survive_429_5xx_and_timeouts_without_duplicates(serving: FakeBotApi) -> None:
    serving.inject("sendMessage", "429", retry_after=1)
    serving.inject("sendMessage", "500")
    serving.inject("sendMessage", "timeout")
    serving.push_message("TPT Kota Surabaya 2023")
    await serving.wait_for(lambda: any("Kota Surabaya (3578)" in t for t in texts_to(serving)))
    await asyncio.sleep(0.5)
    answers = [t for t in texts_to(serving) if "Kota Surabaya (3578)" in t]
    assert len(answers) == 1


async def test_a_user_who_blocked_the_bot_does_not_stop_it(serving: FakeBotApi) -> None:
    serving.inject("sendMessage", "403")
    serving.push_message("/start", chat_id=777, user_id=777)
    await serving.wait_for(lambda: serving.pending_faults("sendMessage") == 0)
    serving.push_message("/start")
    await serving.wait_for(lambda: any("Selamat datang" in t for t in texts_to(serving)))
    assert texts_to(serving, 777) == []


async def test_an_unregistered_group_hears_once_how_to_register(serving: FakeBotApi) -> None:
    group = -100123
    serving.push_message("IPM Kota Batu", chat_id=group, chat_type="supergroup")
    serving.push_message("/bantuan@satudata_test_bot", chat_id=group, chat_type="supergroup")
    serving.push_message("@satudata_test_bot IPM Kota Batu", chat_id=group, chat_type="supergroup")
    await serving.wait_for(lambda: any("belum terdaftar" in t for t in texts_to(serving, group)))
    serving.push_message("/start", chat_id=CHAT, user_id=CHAT)
    await serving.wait_for(lambda: any("Selamat datang" in t for t in texts_to(serving)))
    assert len(texts_to(serving, group)) == 1


async def test_in_a_registered_group_the_bot_speaks_only_when_spoken_to(
    serving: FakeBotApi, tmp_path: Path
) -> None:
    group, walidata = -100124, 9001
    await link_walidata(tmp_path / "bot.db", walidata)
    serving.push_message(
        "/daftarkan_grup tanya_data", chat_id=group, user_id=walidata, chat_type="supergroup"
    )
    await serving.wait_for(lambda: any("terdaftar" in t for t in texts_to(serving, group)))
    serving.push_message("IPM Kota Batu", chat_id=group, chat_type="supergroup")
    serving.push_message("/bantuan@satudata_test_bot", chat_id=group, chat_type="supergroup")
    await serving.wait_for(lambda: any("Panduan" in t for t in texts_to(serving, group)))
    serving.push_message("@satudata_test_bot IPM Kota Batu 2023", chat_id=group, chat_type="group")
    await serving.wait_for(lambda: any("79,07" in t for t in texts_to(serving, group)))
    assert len(texts_to(serving, group)) == 3


async def test_a_file_over_10_mb_is_refused_with_the_reason_and_never_fetched(
    serving: FakeBotApi,
) -> None:
    serving.push_document("daftar-data.xlsx", 11 * 1024 * 1024)
    await serving.wait_for(lambda: any("terlalu besar" in t for t in texts_to(serving)))
    serving.push_document("catatan.csv", 2048)
    await serving.wait_for(lambda: any("belum membaca berkas" in t for t in texts_to(serving)))
    big, small = texts_to(serving)
    assert "“daftar-data.xlsx” (11,0 MB) terlalu besar: batasnya 10 MB" in big
    assert "“catatan.csv”" in small
    assert serving.calls_to("getFile") == []


async def test_a_walidata_s_template_is_fetched_once_for_the_broadcast(
    serving: FakeBotApi, tmp_path: Path
) -> None:
    walidata = 9001
    await link_walidata(tmp_path / "bot.db", walidata)
    serving.push_message("/siaran", chat_id=walidata, user_id=walidata)
    await serving.wait_for(lambda: any("/batal" in t for t in texts_to(serving, walidata)))
    serving.push_document(
        "templat.xlsx", 11, chat_id=walidata, user_id=walidata,
        caption="Mohon isi templat terlampir.", content=b"PK-templat",
    )  # fmt: skip
    await serving.wait_for(lambda: any("templat.xlsx" in t for t in texts_to(serving, walidata)))

    assert len(serving.calls_to("getFile")) == 1 and len(serving.calls_to("download")) == 1
    with sqlite3.connect(tmp_path / "bot.db") as conn:
        stored = conn.execute(
            "SELECT f.name, f.content FROM data_requests r JOIN outbox_files f ON f.id = r.file_id"
        ).fetchall()
    conn.close()
    assert stored == [("templat.xlsx", b"PK-templat")]


async def test_a_liaison_sends_the_filled_template_and_the_walidata_accepts_it(
    serving: FakeBotApi, tmp_path: Path
) -> None:
    liaison, walidata = 9101, 9001
    await link_walidata(tmp_path / "bot.db", walidata)
    await link(tmp_path / "bot.db", "Agus Setiawan", liaison)
    serving.push_message("/kirim ipm", chat_id=liaison, user_id=liaison)
    await serving.wait_for(lambda: documents(serving, liaison) != [])
    (template,) = documents(serving, liaison)

    def filled(first: object) -> bytes:
        book = load_workbook(io.BytesIO(template))
        cells = [c for r in book["Data"].iter_rows(min_row=7) for c in r if not c.protection.locked]
        for number, cell in enumerate(cells):
            cell.value = first if number == 0 else 75.5
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()

    wrong, content = filled("tujuh puluh"), filled(75.5)
    serving.push_document("ipm.xlsx", len(wrong), chat_id=liaison, user_id=liaison, content=wrong)
    await serving.wait_for(
        lambda: any("'tujuh puluh' bukan angka" in t for t in texts_to(serving, liaison))
    )
    serving.push_document(
        "ipm-2025.xlsx", len(content), chat_id=liaison, user_id=liaison, content=content
    )
    await serving.wait_for(lambda: any("Terima kasih" in t for t in texts_to(serving, liaison)))
    await serving.wait_for(lambda: documents(serving, walidata) == [content])
    (review,) = [c for c in serving.sent_to(walidata) if c.method == "sendDocument"]
    markup = review.params["reply_markup"]
    buttons = json.loads(markup) if isinstance(markup, str) else markup
    accept = buttons["inline_keyboard"][0][0]["callback_data"]
    serving.push_callback(accept, chat_id=walidata, user_id=walidata)
    await serving.wait_for(
        lambda: any("dimuat ke registri" in t for t in texts_to(serving, walidata))
    )
    await serving.wait_for(
        lambda: any("diterima walidata" in t for t in texts_to(serving, liaison))
    )
    serving.push_message("IPM seri lama Kota Batu 2025", chat_id=liaison, user_id=liaison)
    await serving.wait_for(lambda: any("2025: 75,5" in t for t in texts_to(serving, liaison)))


def documents(api: FakeBotApi, chat_id: int) -> list[bytes]:
    """The files sent to a chat as documents, oldest first."""
    return [
        api.uploads[c.params["document"]] if "document" not in c.files else c.files["document"]
        for c in api.sent_to(chat_id)
        if c.method == "sendDocument"
    ]


async def link(database: Path, name: str, telegram_id: int) -> None:
    """Give a demo person a Telegram account, waiting for the bot's lock in a thread."""

    def update() -> None:
        with sqlite3.connect(database, timeout=60) as conn:
            conn.execute(
                "UPDATE people SET telegram_user_id = ? WHERE name = ?", (telegram_id, name)
            )
        conn.close()

    await asyncio.to_thread(update)


async def test_long_replies_are_split_and_buttons_go_last(
    api: FakeBotApi, send: Callable[[int, Reply], Awaitable[object]]
) -> None:
    paragraph = "Baris data yang panjang untuk menguji pemotongan pesan. " * 20
    text = "\n".join([paragraph] * 12)
    assert len(text) > 2 * TEXT_LIMIT
    reply = Reply(text, buttons=[[Button("Detail", "ans:id:1:1:0")]])
    await send(CHAT, reply)
    sent = api.sent_to(CHAT)
    # 12 paragraphs of 1,120 characters: three fit in one message, so four messages.
    assert len(paragraph) == 1120
    assert len(sent) == 4
    assert all(len(c.params["text"]) <= TEXT_LIMIT for c in sent)
    assert [bool(c.params.get("reply_markup")) for c in sent] == [False, False, False, True]
    # Nothing lost: the same words in the same order, only whitespace at the cuts differs.
    assert " ".join(c.params["text"] for c in sent).split() == text.split()


async def test_photo_with_long_text_sends_photo_then_text(
    api: FakeBotApi, send: Callable[[int, Reply], Awaitable[object]]
) -> None:
    from handlers.messages import Attachment

    reply = Reply("x" * 1500, attachment=Attachment("photo", "chart.png", b"\x89PNG fake"))
    await send(CHAT, reply)
    methods = [c.method for c in api.sent_to(CHAT)]
    assert methods == ["sendPhoto", "sendMessage"]
    assert api.sent_to(CHAT)[0].files["photo"] == b"\x89PNG fake"


async def test_rejected_token_exits_2_with_one_line(
    api: FakeBotApi, tmp_path: Path, capsys: pytest.CaptureFixture[str], library: str
) -> None:
    code = await SERVE[library](settings_for(api, tmp_path, OTHER_TOKEN), request_timeout=2)
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "TELEGRAM_BOT_TOKEN" in err[0]


def closed_port() -> int:
    """A port on 127.0.0.1 nobody listens on (free a moment ago)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize("failure", ["token rejected", "not a Bot API", "nothing listening"])
async def test_a_failing_start_up_says_why_in_one_line_and_never_prints_a_secret(
    api: FakeBotApi, tmp_path: Path, library: str, failure: str
) -> None:
    """Polling at the default level: one line saying why, no traceback. The webhook server
    at DEBUG, where the libraries log each Bot API URL (the token is in it) and their own
    tracebacks: no secret."""
    token, base_url = {
        "token rejected": (OTHER_TOKEN, api.base_url),
        "not a Bot API": (TOKEN, f"{api.origin}/wrong/bot"),
        "nothing listening": (TOKEN, f"http://127.0.0.1:{closed_port()}/bot"),
    }[failure]
    secret = "webhook-secret-of-this-test"
    env = cli_env(
        tmp_path / "bot.db",
        TELEGRAM_BOT_TOKEN=token,
        TELEGRAM_API_BASE_URL=base_url,
        TELEGRAM_LIBRARY=library,
        WEBHOOK_URL="https://bot.example.go.id/telegram",
        WEBHOOK_SECRET=secret,
    )

    polling = await satudata_async("run", cwd=tmp_path, env=env)
    webhook = await satudata_async(
        "serve", "--webhook", cwd=tmp_path, env=env | {"SATUDATA_LOG_LEVEL": "DEBUG"}
    )

    said = [line for line in polling.stderr.splitlines() if line.startswith("satudata: ")]
    assert polling.returncode in (1, 2) and len(said) == 1, polling.stderr
    assert base_url in said[0] and "Traceback" not in polling.stderr
    assert all(" INFO " in line for line in polling.stderr.splitlines() if line not in said)
    assert webhook.returncode == polling.returncode
    assert " DEBUG " in webhook.stderr  # the libraries wrote their DEBUG lines
    assert said[0] in webhook.stderr.splitlines()
    for leak in (token, token.partition(":")[2], secret):
        assert leak not in polling.stdout + polling.stderr + webhook.stdout + webhook.stderr


async def test_satudata_run_serves_telegram_and_stops_on_sigterm(
    api: FakeBotApi, tmp_path: Path, library: str, processes: Processes
) -> None:
    env = cli_env(
        tmp_path / "run.db",
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=api.base_url,
        TELEGRAM_LIBRARY=library,
    )
    bot = await processes.satudata("run", cwd=tmp_path, env=env, name="run")
    # A first start migrates and loads the demo registry before it registers the menus.
    await api.wait_for(
        lambda: bool(api.calls_to("setMyCommands")) or bot.returncode is not None,
        within=STARTUP,
        what="the command menus of `satudata run`",
    )
    assert bot.returncode is None, bot.tail()
    api.push_message("/start")
    api.push_message("jumlah penduduk miskin Jember 2021")
    await api.wait_for(lambda: any("257,09" in t for t in texts_to(api)), what="the answer")
    assert any("Selamat datang" in t for t in texts_to(api))
    await api.wait_for(lambda: bool(digest_weeks(tmp_path / "run.db")), what="the digest")
    assert await bot.stop(signal.SIGTERM) == 0, bot.tail()
    assert "Traceback" not in bot.errors()
    # The weekly digest job ran at start: the latest digest week has its snapshot.
    week, _ = DigestSchedule().latest(datetime.now(UTC), ZoneInfo("Asia/Jakarta"), WorkCalendar())
    assert digest_weeks(tmp_path / "run.db") == {week.isoformat()}


async def link_walidata(database: Path, telegram_id: int) -> None:
    """Give the demo walidata a Telegram account. The bot, in this event loop, may be writing
    (its tick and digest run at start): wait for its lock in a thread, never in the loop."""

    await link(database, "Andi Prasetyo", telegram_id)


def digest_weeks(database: Path) -> set[str]:
    with sqlite3.connect(database) as conn:
        return {w for (w,) in conn.execute("SELECT week FROM compliance_snapshots")}


async def test_an_invitation_link_names_the_bot_and_binds_whoever_opens_it(
    serving: FakeBotApi, tmp_path: Path
) -> None:
    walidata, invited = 9001, 9002
    await link_walidata(tmp_path / "bot.db", walidata)
    serving.push_message("/undang Budi Santoso", chat_id=walidata, user_id=walidata)
    await serving.wait_for(lambda: any("Pilih perannya" in t for t in texts_to(serving, walidata)))
    markup = serving.sent_to(walidata)[-1].params["reply_markup"]
    roles = {b["text"]: b["callback_data"] for row in markup["inline_keyboard"] for b in row}
    serving.push_callback(roles["pimpinan"], chat_id=walidata, user_id=walidata)
    await serving.wait_for(lambda: any("t.me/" in t for t in texts_to(serving, walidata)))
    link = next(t for t in texts_to(serving, walidata) if "t.me/" in t)
    token = link.split("https://t.me/satudata_test_bot?start=", 1)[1].split()[0]

    serving.push_message(f"/start {token}", chat_id=invited, user_id=invited)

    await serving.wait_for(
        lambda: any("Selamat datang, Budi Santoso!" in t for t in texts_to(serving, invited))
    )


async def test_the_unreachable_report_invites_the_unlinked_with_one_tap(
    serving: FakeBotApi, tmp_path: Path
) -> None:
    walidata, nur = 9001, 9003
    database = tmp_path / "bot.db"
    await link_walidata(database, walidata)

    def unreachable_reminder() -> None:  # Nur Aini never linked an account
        with sqlite3.connect(database, timeout=60) as conn:
            now = datetime.now(UTC).replace(tzinfo=None)
            conn.execute(
                "INSERT INTO outbox (key, kind, person_id, chat_id, text, buttons, status,"
                " attempts, next_attempt_at, created_at, error) SELECT 'test:nur', 'reminder',"
                " id, NULL, 'pengingat untuk Nur', '[]', 'pending', 0, ?, ?, '' FROM people"
                " WHERE name = 'Nur Aini'",
                (now, now),
            )
        conn.close()

    await asyncio.to_thread(unreachable_reminder)

    def invitation_button() -> str | None:
        for call in serving.sent_to(walidata):
            markup = call.params.get("reply_markup") or {}
            for row in markup.get("inline_keyboard", []):
                if row[0]["text"] == "🔗 Tautan untuk Nur Aini":
                    return str(row[0]["callback_data"])
        return None

    await serving.wait_for(lambda: invitation_button() is not None)
    report = next(t for t in texts_to(serving, walidata) if "Nur Aini" in t)
    assert "belum menghubungkan akun Telegram" in report and "menekan Mulai" not in report
    serving.push_callback(str(invitation_button()), chat_id=walidata, user_id=walidata)
    await serving.wait_for(lambda: any("t.me/" in t for t in texts_to(serving, walidata)))
    link = next(t for t in texts_to(serving, walidata) if "t.me/" in t)
    assert "Nur Aini sudah ada di registri" in link
    token = link.split("https://t.me/satudata_test_bot?start=", 1)[1].split()[0]

    serving.push_message(f"/start {token}", chat_id=nur, user_id=nur)

    await serving.wait_for(
        lambda: any("Selamat datang, Nur Aini!" in t for t in texts_to(serving, nur))
    )
    with sqlite3.connect(database, timeout=60) as conn:
        rows = conn.execute("SELECT telegram_user_id FROM people WHERE name = 'Nur Aini'")
        assert rows.fetchall() == [(nur,)]  # the same person, not a second Nur Aini
    conn.close()


class Made:
    """Makes the bot's transport of one library, counting the stop steps it is given."""

    def __init__(self, library: str) -> None:
        self.library = library
        self.transports: list[Transport] = []
        self.steps: Counter[str] = Counter()
        self.polling = asyncio.Event()

    def __call__(
        self, settings: Settings, runtime: Runtime, *, request_timeout: float
    ) -> Transport:
        made = TRANSPORTS[self.library](settings, runtime, request_timeout=request_timeout)
        wrapped = {
            "start_polling": self._announced(made.start_polling),
            "stop_polling": self._counted("stop_polling", made.stop_polling),
            "close": self._counted("close", made.close),
        }
        for name, method in wrapped.items():
            setattr(made, name, method)
        self.transports.append(made)
        return made

    def _announced(
        self, start: Callable[[float], Awaitable[None]]
    ) -> Callable[[float], Awaitable[None]]:
        async def started(poll_timeout: float) -> None:
            await start(poll_timeout)
            self.polling.set()

        return started

    def _counted(
        self, name: str, step: Callable[[], Awaitable[None]]
    ) -> Callable[[], Awaitable[None]]:
        async def counted() -> None:
            self.steps[name] += 1
            await step()

        return counted


async def assert_stopped(made: Made, caplog: pytest.LogCaptureFixture) -> None:
    """Each stop step ran once, the library neither runs nor polls, nothing went wrong."""
    (made_transport,) = made.transports
    assert made.steps["close"] == 1 and made.steps["stop_polling"] <= 1
    if isinstance(made_transport, PtbTransport):
        application = made_transport.application
        assert not application.running
        assert application.updater is not None and not application.updater.running
    else:
        assert isinstance(made_transport, AiogramTransport)
        with pytest.raises(RuntimeError, match="not started"):
            await made_transport.router.stop_polling()
    problems = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert not problems, problems


def polling_on_demo(api: FakeBotApi, tmp_path: Path, library: str, demo_template: Path) -> Settings:
    """Settings for a bot on a copy of the demo registry: it starts without loading it."""
    copy_database(demo_template, tmp_path / "bot.db")
    return settings_for(api, tmp_path, library=library)


@pytest.mark.parametrize("how", ["cancel", "stop"])
@pytest.mark.parametrize("held", ["getMe", "setMyCommands", "deleteWebhook"])
async def test_a_start_cut_short_while_telegram_answers_stops_cleanly(
    api: FakeBotApi,
    tmp_path: Path,
    library: str,
    demo_template: Path,
    caplog: pytest.LogCaptureFixture,
    held: str,
    how: str,
) -> None:
    """Cancelled (the caller gave up) or stopped (SIGTERM) while a start-up call is on its way:
    what had started is stopped, once each; a cancellation is re-raised, a stop exits 0."""
    settings = polling_on_demo(api, tmp_path, library, demo_template)
    api.inject(held, "hang")
    made, stop = Made(library), asyncio.Event()
    task = asyncio.create_task(
        transport.serve_polling(made, settings, stop=stop, poll_timeout=1, request_timeout=WAIT)
    )
    await api.wait_for(
        lambda: bool(api.hanging.get(held)) or task.done(), within=STARTUP, what=held
    )
    assert not task.done(), task.result()
    if how == "cancel":
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(task, STOP)
    else:
        stop.set()
        assert await asyncio.wait_for(task, STOP) == 0
    await assert_stopped(made, caplog)
    assert not made.polling.is_set()


async def test_a_stop_cancelled_while_a_reply_is_on_its_way_still_delivers_it(
    api: FakeBotApi,
    tmp_path: Path,
    library: str,
    demo_template: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Stopping waits for the answers in hand; cancelling the stop half-way changes nothing but
    the cancellation re-raised at the end."""
    settings = polling_on_demo(api, tmp_path, library, demo_template)
    made, stop = Made(library), asyncio.Event()
    task = asyncio.create_task(
        transport.serve_polling(made, settings, stop=stop, poll_timeout=1, request_timeout=WAIT)
    )
    await api.wait_for(lambda: made.polling.is_set() or task.done(), within=STARTUP, what="polling")
    assert not task.done(), task.result()
    api.inject("sendMessage", "hang")
    api.push_message("/start")
    await api.wait_for(lambda: bool(api.hanging.get("sendMessage")), what="the reply")
    stop.set()
    await api.wait_for(lambda: made.steps["stop_polling"] == 1, what="the stop of polling")
    task.cancel()
    api.release()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, STOP)
    assert any("Selamat datang" in t for t in texts_to(api))
    await assert_stopped(made, caplog)


async def test_sigterm_while_telegram_keeps_the_start_waiting_exits_0(
    api: FakeBotApi, tmp_path: Path, library: str, demo_template: Path, processes: Processes
) -> None:
    database = copy_database(demo_template, tmp_path / "run.db")
    api.inject("getMe", "hang")
    env = cli_env(
        database,
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=api.base_url,
        TELEGRAM_LIBRARY=library,
    )
    bot = await processes.satudata("run", cwd=tmp_path, env=env, name="run")
    await api.wait_for(
        lambda: bool(api.hanging.get("getMe")) or bot.returncode is not None,
        within=STARTUP,
        what="getMe of `satudata run`",
    )
    assert await bot.stop(signal.SIGTERM) == 0, bot.tail()
    assert "Traceback" not in bot.errors() and "still running" not in bot.errors()
    assert api.calls_to("setMyCommands") == []  # it stopped instead of starting on
