"""An accepted file reaches the region's CKAN portal, through the queue its acceptance wrote.

The registry is the demo's with Bappeda's population per kecamatan by sex, linked to a package
of a fake CKAN portal (`tests/fake_ckan.py`, a real HTTP server on 127.0.0.1) whose agency
table holds the same 2024 figures. A liaison's 2025 file is accepted through the dispatcher;
`PortalPusher` then publishes the dataset's whole table into a DataStore resource of the
package and moves its latest period, and a sync reads the package back without changing a
value. The portal goes down, loses an answer after doing the work, or refuses the token: the
table is published once when it can be, and the walidata who accepted it hears how it went.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections.abc import AsyncIterator, Awaitable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot import telegram_ptb
from bot.background import Background
from bot.config import Settings
from bot.wiring import Runtime, build_runtime
from domain.engine import ReminderSettings
from domain.terms import DeadlineStatus
from reminders.status import dataset_statuses
from reminders.tick import run_tick
from storage import db
from storage.ckan.client import CkanClient
from storage.ckan.mapping import PortalMapping
from storage.ckan.source import CkanPortal
from storage.portal.push import PortalPusher
from storage.portal.sync import PortalSyncer
from storage.uow import UnitOfWorkFactory

from .cli_runner import STARTUP, STOP, cli_env, satudata_async
from .conftest import NOW, settings_for
from .fake_bot_api import Call, FakeBotApi
from .fake_ckan import FakeCkan, ckan_time
from .test_cli import assert_one_line_error
from .test_submissions import (
    SEXES,
    cells,
    fill,
    kecamatan,
    outbox,
    second_walidata,
    send,
    sql,
    with_kecamatan_tables,
)
from .test_telegram_transport import documents

TOKEN = "token-yang-boleh-menulis"
BOT_TOKEN = "123456:TEST-token-for-the-fake-bot-api"
PACKAGE = "pkg-penduduk-kec"
AGENCY_TABLE = "res-agency"
BAPPEDA = {"id": "org-bappeda", "name": "bappeda", "title": "Badan Perencanaan Pembangunan Daerah"}


def agency_rows() -> list[dict[str, Any]]:
    """The 2024 table as the agency uploaded it: what the registry fixture loaded."""
    return [
        {"Kode Wilayah": c, "Kecamatan": n, "Tahun": 2024, "Jenis Kelamin": s, "Jumlah": 1000 + i}
        for i, (c, n) in enumerate(kecamatan())
        for s in SEXES
    ]


@pytest.fixture
async def fake() -> AsyncIterator[FakeCkan]:
    portal = FakeCkan(packages={}, organizations=[BAPPEDA], tables={}, token=TOKEN)
    portal.timeout_delay = 5.0
    await portal.start()
    published = ckan_time(NOW - timedelta(days=30))
    portal.tables[AGENCY_TABLE] = agency_rows()
    portal.add_package(
        {
            "id": PACKAGE,
            "name": "penduduk_kec",
            "title": "Jumlah Penduduk per Kecamatan",
            "type": "dataset",
            "state": "active",
            "private": False,
            "notes": "",
            "metadata_created": published,
            "metadata_modified": published,
            "organization": BAPPEDA,
            "owner_org": BAPPEDA["id"],
            "extras": [
                {"key": "satuan", "value": "jiwa"},
                {"key": "frekuensi", "value": "Tahunan"},
                {"key": "periode_terakhir", "value": "2024"},
            ],
            "resources": [
                {
                    "id": AGENCY_TABLE,
                    "package_id": PACKAGE,
                    "name": "Penduduk per kecamatan 2024",
                    "format": "CSV",
                    "state": "active",
                    "datastore_active": True,
                    "url": f"{portal.origin}/datastore/dump/{AGENCY_TABLE}",
                    "last_modified": published,
                }
            ],
            "tags": [],
        }
    )
    yield portal
    await portal.stop()


@pytest.fixture
async def registry(demo_db: Path, tmp_path: Path) -> Path:
    database = await with_kecamatan_tables(demo_db, tmp_path)
    sql(database, "UPDATE datasets SET external_id = ? WHERE code = 'penduduk_kec'", PACKAGE)
    return database


@pytest.fixture
async def bot(registry: Path, fake: FakeCkan) -> AsyncIterator[Runtime]:
    settings = settings_for(registry, CKAN_URL=fake.url, CKAN_API_TOKEN=TOKEN)
    runtime = await build_runtime(settings, NOW)
    yield runtime
    await runtime.close()


def portal(fake: FakeCkan, token: str = TOKEN) -> CkanPortal:
    """The portal as the bot's worker reaches it, waiting half a second for an answer."""
    return CkanPortal(
        fake.url,
        token,
        PortalMapping.load(),
        "3514",
        client_factory=lambda: CkanClient(fake.url, token, timeout=0.5, attempts=1),
    )


async def accept(bot: Runtime, registry: Path, period: str = "", base: int = 2000) -> str:
    """A liaison's filled template of `period` (the owed one by default), accepted by the
    walidata: the walidata's reply."""
    reply = await send(bot, registry, "Agus Setiawan", f"/kirim penduduk_kec {period}".strip())
    assert reply.attachment is not None, reply.text
    content, _ = fill(reply.attachment.content, lambda row, _: base + row)
    reply = await send(bot, registry, "Agus Setiawan", file=("penduduk.xlsx", content))
    assert reply.text.startswith("Terima kasih"), reply.text
    (submission,) = sql(
        registry, "SELECT id FROM submissions WHERE status = 'pending' ORDER BY id DESC"
    )[:1]
    answer = await send(bot, registry, "Andi Prasetyo", data=f"v:ok:{submission[0]}")
    assert "dimuat ke registri" in answer.text, answer.text
    return answer.text


def ours(fake: FakeCkan) -> list[dict[str, Any]]:
    """The resources the registry created in the package."""
    package = fake.packages[PACKAGE]
    return [r for r in package["resources"] if r.get("satudata_table") == "penduduk_kec"]


def told(registry: Path, start: str) -> list[str]:
    return [
        text
        for to, text, *_ in outbox(registry)
        if to == "Andi Prasetyo" and text.startswith(start)
    ]


def in_order(row: dict[str, Any]) -> tuple[Any, ...]:
    return row["Tahun"], row["Kode Wilayah"], row["Jenis Kelamin"]


def expected_rows(years: dict[int, int]) -> list[dict[str, Any]]:
    """Every kecamatan by sex for each year, its values counted up from `years[year]` in
    the template's order (kecamatan by code, then sex)."""
    rows = []
    for year, base in sorted(years.items()):
        for i, (code, name) in enumerate(kecamatan()):
            for j, sex in enumerate(SEXES):
                value = 1000 + i if year == 2024 and base == 0 else base + 2 * i + j
                rows.append(
                    {
                        "Kode Wilayah": code,
                        "Kecamatan": name,
                        "Tahun": year,
                        "Jenis Kelamin": sex,
                        "Nilai (jiwa)": value,
                    }
                )
    return rows


async def test_an_accepted_file_is_published_and_a_sync_reads_it_back_unchanged(
    bot: Runtime, registry: Path, fake: FakeCkan
) -> None:
    reply = await accept(bot, registry)

    assert reply.endswith("Tabelnya dikirim ke portal 127.0.0.1; Anda diberi tahu hasilnya.")
    assert sql(registry, "SELECT status FROM portal_pushes") == [("pending",)]
    assert fake.calls_to("datastore_create") == []  # nothing is sent inside the button press

    done = await PortalPusher(bot.uow, portal(fake)).run_due(NOW)

    assert (done.published, done.delayed, done.failed) == (1, 0, 0)
    (resource,) = ours(fake)
    assert resource["datastore_active"] is True
    assert resource["name"] == "Data terverifikasi walidata: Jumlah Penduduk per Kecamatan"
    rows = sorted(fake.tables[resource["id"]], key=in_order)
    assert rows == sorted(expected_rows({2024: 0, 2025: 2000}), key=in_order)
    assert fake.keys[resource["id"]] == ["Kode Wilayah", "Tahun", "Jenis Kelamin"]
    extras = {e["key"]: e["value"] for e in fake.packages[PACKAGE]["extras"]}
    assert extras == {"satuan": "jiwa", "frekuensi": "Tahunan", "periode_terakhir": "2025"}
    (message,) = told(registry, "🌐")
    assert message == (
        "🌐 Tabel terverifikasi “Jumlah Penduduk per Kecamatan” (penduduk_kec) periode 2025 "
        f"sudah ada di portal 127.0.0.1: {len(rows)} baris di sumber daya “Data terverifikasi "
        "walidata: Jumlah Penduduk per Kecamatan”, periode terakhir paket menjadi 2025."
    )
    assert sql(registry, "SELECT status, rows, attempts FROM portal_pushes") == [
        ("done", len(rows), 1)
    ]

    before = {year: cells(registry, "penduduk_kec", year) for year in ("2024", "2025")}
    report = await PortalSyncer(bot.uow, portal(fake)).run(NOW + timedelta(hours=1), full=True)

    assert report.ok, report.error
    assert (report.observations_loaded, report.observations_removed) == (0, 0)
    (entry,) = report.packages
    assert entry.rows_skipped == [] and entry.unread == []
    assert {year: cells(registry, "penduduk_kec", year) for year in before} == before
    assert sql(registry, "SELECT latest_period FROM datasets WHERE code = 'penduduk_kec'") == [
        ("2025",)
    ]
    again = await PortalPusher(bot.uow, portal(fake)).run_due(NOW + timedelta(hours=2))
    assert not again.busy  # published is published


async def test_a_portal_down_delays_the_table_which_is_published_once_when_it_is_back(
    bot: Runtime, registry: Path, fake: FakeCkan
) -> None:
    await accept(bot, registry)
    pusher = PortalPusher(bot.uow, portal(fake))
    fake.down = True

    first = await pusher.run_due(NOW)
    early = await pusher.run_due(NOW + timedelta(seconds=30))
    second = await pusher.run_due(NOW + timedelta(minutes=1))

    assert (first.delayed, early.busy, second.delayed) == (1, False, 1)
    (delayed,) = told(registry, "⏳")  # once per table, not per attempt
    assert delayed.startswith(
        "⏳ Tabel “Jumlah Penduduk per Kecamatan” (penduduk_kec) belum dapat dikirim ke portal "
        "127.0.0.1 (package_show: HTTP 503"
    )
    assert ours(fake) == []
    assert sql(registry, "SELECT attempts FROM portal_pushes") == [(2,)]

    fake.down = False
    waiting = await pusher.run_due(NOW + timedelta(minutes=2))  # the pause doubled: 2 minutes
    back = await pusher.run_due(NOW + timedelta(minutes=3))

    assert not waiting.busy
    assert back.published == 1
    (resource,) = ours(fake)
    assert len(fake.tables[resource["id"]]) == 4 * len(kecamatan())
    assert len(told(registry, "🌐")) == 1


async def test_a_write_whose_answer_was_lost_is_not_published_twice(
    bot: Runtime, registry: Path, fake: FakeCkan
) -> None:
    await accept(bot, registry)
    pusher = PortalPusher(bot.uow, portal(fake))
    fake.inject("datastore_create", "late")  # created, but the answer never comes

    lost = await pusher.run_due(NOW)
    assert lost.delayed == 1 and len(ours(fake)) == 1

    again = await pusher.run_due(NOW + timedelta(minutes=1))

    assert again.published == 1
    (resource,) = ours(fake)  # found again by its mark, not created a second time
    assert len(fake.tables[resource["id"]]) == 4 * len(kecamatan())
    assert [c.get("resource", {}).get("package_id") for c in fake.calls_to("datastore_create")] == [
        PACKAGE
    ]


async def test_a_refused_token_fails_at_once_and_tells_the_walidata_what_to_do(
    bot: Runtime, registry: Path, fake: FakeCkan
) -> None:
    await accept(bot, registry)
    pusher = PortalPusher(bot.uow, portal(fake, token="token-hanya-baca"))

    refused = await pusher.run_due(NOW)
    later = await pusher.run_due(NOW + timedelta(hours=3))

    assert (refused.failed, later.busy) == (1, False)
    (message,) = told(registry, "⚠️")
    assert message.startswith(
        "⚠️ Portal 127.0.0.1 menolak tabel “Jumlah Penduduk per Kecamatan” (penduduk_kec) "
        "periode 2025: Authorization Error: Access denied"
    )
    assert "CKAN_API_TOKEN" in message and PACKAGE in message
    assert ours(fake) == []
    assert sql(registry, "SELECT status FROM portal_pushes") == [("failed",)]
    assert [a for (a,) in sql(registry, "SELECT action FROM audit_log ORDER BY id")][-1] == (
        "portal_push_failed"
    )


async def test_a_corrected_period_wins_over_the_agency_table_and_only_the_newest_goes(
    bot: Runtime, registry: Path, fake: FakeCkan
) -> None:
    await accept(bot, registry)  # 2025
    await accept(bot, registry, "2024", base=1100)  # corrects the agency's 2024

    done = await PortalPusher(bot.uow, portal(fake)).run_due(NOW)

    assert (done.published, done.superseded) == (1, 1)
    (resource,) = ours(fake)
    rows = fake.tables[resource["id"]]
    assert sorted(rows, key=in_order) == sorted(
        expected_rows({2024: 1100, 2025: 2000}), key=in_order
    )
    report = await PortalSyncer(bot.uow, portal(fake)).run(NOW + timedelta(hours=1), full=True)

    assert report.ok, report.error
    assert report.observations_loaded == report.observations_removed == 0
    first = kecamatan()[0][0]
    held = cells(registry, "penduduk_kec", "2024")
    assert held[("penduduk_kec", first, "jenis_kelamin=perempuan")] == 1101  # not the agency's
    (entry,) = report.packages
    (conflict,) = entry.rows_skipped
    assert "nilai berbeda; nilai pertama yang dipakai" in conflict


async def test_the_operator_publishes_again_once_the_token_may_write(
    bot: Runtime, registry: Path, fake: FakeCkan
) -> None:
    await accept(bot, registry)
    fake.token = "token-baru"  # the portal no longer takes the bot's token
    env = cli_env(registry, CKAN_URL=fake.url, CKAN_API_TOKEN=TOKEN)

    def push(*args: str) -> Awaitable[subprocess.CompletedProcess[str]]:
        return satudata_async("sync", "push", *args, cwd=registry.parent, env=env)

    refused = await push()
    nothing = await push()
    fake.token = TOKEN
    again = await push("penduduk_kec")
    twice = await push("penduduk_kec")
    never = await push("ipm")

    assert refused.returncode == 1, refused.stderr
    assert refused.stdout.startswith("penduduk_kec: refused: Authorization Error: Access denied")
    assert nothing.stdout.strip() == "no table is waiting for the portal"
    assert again.returncode == 0, again.stderr
    (resource,) = ours(fake)
    rows = 4 * len(kecamatan())
    assert again.stdout.strip() == f"penduduk_kec: {rows} rows in resource {resource['id']}"
    assert len(fake.tables[resource["id"]]) == rows
    assert twice.returncode == 0 and twice.stdout == again.stdout, twice.stderr
    assert len(told(registry, "🌐")) == 2 and len(told(registry, "⚠️")) == 1
    assert_one_line_error(never, "ipm: no accepted file of this dataset")


async def test_a_sync_before_the_table_is_on_the_portal_keeps_the_accepted_values(
    bot: Runtime, registry: Path, fake: FakeCkan
) -> None:
    await accept(bot, registry)
    accepted = cells(registry, "penduduk_kec", "2025")

    early = await PortalSyncer(bot.uow, portal(fake)).run(NOW + timedelta(minutes=1), full=True)
    await PortalPusher(bot.uow, portal(fake)).run_due(NOW + timedelta(minutes=2))
    later = await PortalSyncer(bot.uow, portal(fake)).run(NOW + timedelta(minutes=3), full=True)

    assert early.observations_removed == 0
    (entry,) = early.packages
    assert any("belum ada di portal" in w for w in entry.warnings), entry.warnings
    assert cells(registry, "penduduk_kec", "2025") == accepted != {}
    assert later.observations_removed == later.observations_loaded == 0
    assert later.packages[0].warnings == []


async def test_the_running_bot_publishes_an_accepted_table_and_tells_the_walidata(
    bot: Runtime, registry: Path, fake: FakeCkan
) -> None:
    await accept(bot, registry)
    walidata = 9001
    sql(registry, "UPDATE people SET telegram_user_id = ? WHERE name = 'Andi Prasetyo'", walidata)
    api = FakeBotApi(tokens={BOT_TOKEN})
    await api.start()
    settings = settings_for(
        registry,
        TELEGRAM_BOT_TOKEN=BOT_TOKEN,
        TELEGRAM_API_BASE_URL=api.base_url,
        CKAN_URL=fake.url,
        CKAN_API_TOKEN=TOKEN,
    )
    runtime = await build_runtime(settings, NOW)
    background = Background(runtime, settings)
    try:
        await background.start()
        await api.wait_for(
            lambda: any(
                "🌐 Tabel terverifikasi" in c.params.get("text", "") for c in api.sent_to(walidata)
            ),
            what="the walidata told the table is on the portal",
        )
    finally:
        await background.stop()
        await runtime.close()
        await api.stop()
    (resource,) = ours(fake)
    assert len(fake.tables[resource["id"]]) == 4 * len(kecamatan())


# --- the whole journey, through Telegram ------------------------------------------------------


def callbacks(call: Call) -> list[str]:
    markup = call.params.get("reply_markup")
    rows = (json.loads(markup) if isinstance(markup, str) else markup or {}).get(
        "inline_keyboard", []
    )
    return [button["callback_data"] for row in rows for button in row if "callback_data" in button]


def said(api: FakeBotApi, chat_id: int, words: str) -> bool:
    return any(
        words in (c.params.get("text") or c.params.get("caption") or "")
        for c in api.sent_to(chat_id)
    )


async def test_from_the_reminder_to_the_portal_through_telegram_across_a_restart(
    registry: Path, fake: FakeCkan
) -> None:
    """Reminder → template → a file with an error → one with a warning → the note → returned →
    (the bot restarts) → fixed → two walidata accept at once → the answer has the new period,
    the reminders stop, and the portal holds the table."""
    liaison, walidata, other = 9101, 9001, 9002
    second_walidata(registry)
    for name, account in (("Agus Setiawan", liaison), ("Andi Prasetyo", walidata)):
        sql(registry, "UPDATE people SET telegram_user_id = ? WHERE name = ?", account, name)
    sql(registry, "UPDATE people SET telegram_user_id = ? WHERE name = 'Dewi Lestari'", other)
    zone = ZoneInfo("Asia/Jakarta")
    tuesday = datetime(2026, 11, 24, 9, 0, tzinfo=zone)
    reminding = ReminderSettings(zone)
    engine = db.create_engine(f"sqlite:///{registry}")
    uow = UnitOfWorkFactory(engine)
    await run_tick(uow, tuesday, reminding)
    # The running bot's sender reads the wall clock: Tuesday's reminders must still be worth
    # sending whenever the test runs, not expire with their chase's next step.
    sql(registry, "UPDATE outbox SET expires_at = NULL")
    api = FakeBotApi(tokens={BOT_TOKEN})
    await api.start()
    settings = Settings.from_env(
        environ={
            "TELEGRAM_BOT_TOKEN": BOT_TOKEN,
            "TELEGRAM_API_BASE_URL": api.base_url,
            "DATABASE_URL": f"sqlite:///{registry}",
            "CKAN_URL": fake.url,
            "CKAN_API_TOKEN": TOKEN,
        },
        env_file=None,
    )

    async def start() -> tuple[asyncio.Event, asyncio.Task[int]]:
        stop = asyncio.Event()
        menus = len(api.calls_to("setMyCommands"))
        task = asyncio.create_task(
            telegram_ptb.serve_polling(settings, stop=stop, poll_timeout=1, request_timeout=3)
        )
        await api.wait_for(
            lambda: len(api.calls_to("setMyCommands")) >= menus + 2 or task.done(),
            within=STARTUP,
            what="the bot polling",
        )
        assert not task.done(), task.result()
        return stop, task

    def send_file(content: bytes, caption: str | None = None) -> None:
        api.push_document(
            "penduduk.xlsx", len(content), liaison, liaison, caption=caption, content=content
        )

    ((dataset,),) = sql(registry, "SELECT id FROM datasets WHERE code = 'penduduk_kec'")
    press = f"k:{dataset}"  # the reminder's "Kirim data" of this dataset
    stop, task = await start()
    try:
        await api.wait_for(
            lambda: any(press in callbacks(c) for c in api.sent_to(liaison)),
            what="the liaison's reminder with its button",
        )
        api.push_callback(press, liaison, liaison)
        await api.wait_for(lambda: documents(api, liaison) != [], what="the template")
        (template,) = documents(api, liaison)

        wrong, _ = fill(template, lambda row, _: "tujuh" if row == 0 else 2000 + row)
        send_file(wrong)
        await api.wait_for(lambda: said(api, liaison, "'tujuh' bukan angka"), what="the error")
        unlikely, _ = fill(template, lambda row, _: 0 if row == 0 else 1000 + row // 2)
        send_file(unlikely)
        await api.wait_for(lambda: said(api, liaison, "perlu dipastikan"), what="the warning")
        send_file(unlikely, caption="benar, ada pemekaran")
        await api.wait_for(lambda: said(api, liaison, "Terima kasih"), what="the file taken")
        await api.wait_for(lambda: said(api, walidata, "Catatan pengirim: benar, ada pemekaran"))
        (review,) = [c for c in api.sent_to(walidata) if c.method == "sendDocument"]
        _, give_back = callbacks(review)
        api.push_callback(give_back, walidata, walidata)
        await api.wait_for(lambda: said(api, walidata, "Mengapa data"), what="the reasons")
        first_reason = next(
            d for c in api.sent_to(walidata) for d in callbacks(c) if d.startswith(give_back + ":")
        )
        api.push_callback(first_reason, walidata, walidata)
        await api.wait_for(lambda: said(api, liaison, "dikembalikan walidata Andi Prasetyo"))

        stop.set()  # a restart between the steps
        assert await asyncio.wait_for(task, STOP) == 0
        stop, task = await start()

        fixed, _ = fill(template, lambda row, _: 2000 + row)
        send_file(fixed)
        await api.wait_for(
            lambda: len([c for c in api.sent_to(other) if c.method == "sendDocument"]) == 2,
            what="the fixed file with the second walidata",
        )
        reviews = [c for c in api.sent_to(walidata) if c.method == "sendDocument"]
        accept, _ = callbacks(reviews[-1])
        api.push_callback(accept, walidata, walidata)
        api.push_callback(accept, other, other)
        await api.wait_for(
            lambda: any(said(api, p, "sudah ada di portal") for p in (walidata, other)),
            what="the walidata told the table is on the portal",
        )
        decided = [p for p in (walidata, other) if said(api, p, "periode 2025 dimuat ke registri")]
        late = [p for p in (walidata, other) if said(api, p, "sudah diterima oleh")]
        assert len(decided) == 1 and len(late) == 1 and decided != late  # one decision

        place = kecamatan()[0][1]
        api.push_message(f"penduduk perempuan kecamatan {place} 2025", liaison, liaison)
        await api.wait_for(lambda: said(api, liaison, "2.001"), what="the new value answered")
    finally:
        stop.set()
        await asyncio.wait_for(task, STOP)
        await api.stop()
    (resource,) = ours(fake)
    assert len(fake.tables[resource["id"]]) == 4 * len(kecamatan())
    async with uow() as unit:  # the chase of 2025 ended with the acceptance
        statuses = {s.row.code: s.deadline for s in await dataset_statuses(unit, tuesday.date())}
    await engine.dispose()
    assert statuses["penduduk_kec"].status is DeadlineStatus.MUTAKHIR
    assert statuses["penduduk_kec"].expected.code == "2026"  # 2025 is in, nothing is chased
    assert statuses["padi_kec"].status is DeadlineStatus.TERLAMBAT
