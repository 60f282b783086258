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

import subprocess
from collections.abc import AsyncIterator, Awaitable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.background import Background
from bot.wiring import Runtime, build_runtime
from storage.ckan.client import CkanClient
from storage.ckan.mapping import PortalMapping
from storage.ckan.source import CkanPortal
from storage.portal.push import PortalPusher
from storage.portal.sync import PortalSyncer

from .cli_runner import cli_env, satudata_async
from .conftest import NOW, settings_for
from .fake_bot_api import FakeBotApi
from .fake_ckan import FakeCkan, ckan_time
from .test_cli import assert_one_line_error
from .test_submissions import (
    SEXES,
    cells,
    fill,
    kecamatan,
    outbox,
    send,
    sql,
    with_kecamatan_tables,
)

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
    never = await push("ipm")

    assert refused.returncode == 1, refused.stderr
    assert refused.stdout.startswith("penduduk_kec: refused: Authorization Error: Access denied")
    assert nothing.stdout.strip() == "no table is waiting for the portal"
    assert again.returncode == 0, again.stderr
    (resource,) = ours(fake)
    rows = 4 * len(kecamatan())
    assert again.stdout.strip() == f"penduduk_kec: {rows} rows in resource {resource['id']}"
    assert len(fake.tables[resource["id"]]) == rows
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
