"""The weekly compliance digest on a registry whose figures are known by construction.

Digest moment: Monday 23 November 2026, 07:30 WIB. Worked out by hand from the due rules:

  Dinas Alfa   alfa_tahunan   2025 owed 2026, due 31 Mar 2027                 → up to date
               alfa_bulanan   2026-10 owed 2026-11, due 15 Dec 2026 (22 days) → up to date
               alfa_segera    2026-09 owed 2026-10, due 1 Dec 2026 (8 days)   → due soon
               alfa_lama      2024 owed 2025, due 31 Mar 2026                 → 237 days late
               → 4 scheduled, 3 up to date: 75,0 %; 1 late (average 237, worst 237)
  Dinas Beta   beta_bulanan   2026-09 owed 2026-10, due 15 Nov 2026           → 8 days late
               beta_rahasia   2026-Q2 owed 2026-Q3, due 15 Nov 2026, tertutup → 8 days late
               beta_adhoc     sewaktu-waktu                                   → not counted
               → 2 scheduled, 0 up to date: 0,0 %; 2 late (average 8, worst 8)
  Dinas Gama   gama_tahunan   2025 owed 2026                                  → up to date
               → 1 scheduled: 100,0 %
  Region: 7 scheduled, 4 up to date: 57,1 %; 1 due soon; 3 late (average 84, worst 237).

Last week's snapshots (stored by the test): region 50,0 %, Alfa 100,0 %, Beta 0,0 %; the week
before: region 40,0 %. So the region rose 7,1 points, Alfa fell 25,0, Beta did not move, and
Gama has no figure to compare with.
"""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from bot.botapi import BotApiDeliverer
from bot.config import Settings
from bot.wiring import build_runtime
from domain.calendar import WorkCalendar
from domain.telegram_limits import CAPTION_LIMIT, TEXT_LIMIT
from handlers.messages import Incoming
from reminders.delivery import OutboxSender
from reports.compliance import Compliance, ComplianceReport
from reports.digest import DigestPlace
from reports.digest_schedule import DigestSchedule
from reports.weekly_digest import DigestOutcome, run_weekly_digest
from storage import db
from storage.importing import import_datasets, import_people
from storage.models import (
    ComplianceSnapshot,
    DataRequest,
    DataRequestRecipient,
    Extension,
    GroupChat,
    OutboxMessage,
)
from storage.uow import UnitOfWorkFactory
from tests.fake_bot_api import FakeBotApi

WIB = ZoneInfo("Asia/Jakarta")
MOMENT = datetime(2026, 11, 23, 7, 30, tzinfo=WIB)
WEEK = date(2026, 11, 23)
PLACE = DigestPlace("Kabupaten Uji", WIB, "id")
SCHEDULE = DigestSchedule()
TOKEN = "123456:TEST-token-for-the-fake-bot-api"

HEADER = "kode,judul,opd,periodisitas,klasifikasi,periode_terakhir,bulan_jatuh_tempo"
DAFTAR = f"""{HEADER},hari_jatuh_tempo
alfa_tahunan,Data Alfa Tahunan,Dinas Alfa,tahunan,terbuka,2025,,
alfa_bulanan,Data Alfa Bulanan,Dinas Alfa,bulanan,terbuka,2026-10,,
alfa_segera,Data Alfa Segera,Dinas Alfa,bulanan,terbuka,2026-09,2,1
alfa_lama,Data Alfa Lama,Dinas Alfa,tahunan,terbatas,2024,,
beta_bulanan,Data Beta Bulanan,Dinas Beta,bulanan,terbuka,2026-09,,
beta_rahasia,Data Beta Rahasia,Dinas Beta,triwulanan,tertutup,2026-Q2,,
beta_adhoc,Data Beta Sewaktu-waktu,Dinas Beta,sewaktu-waktu,terbuka,,,
gama_tahunan,Data Gama Tahunan,Dinas Gama,tahunan,terbuka,2025,,
"""
PEOPLE = """nama,peran,opd,telegram_id
Wati Walidata,walidata,,9001
Pak Pimpinan,pimpinan,,9002
Kepala Alfa,kepala_opd,Dinas Alfa,9003
Kepala Beta,kepala_opd,Dinas Beta,9004
Lia Penghubung,produsen,Dinas Alfa,9005
"""


async def build_registry(uow_factory: UnitOfWorkFactory, tmp_path: Path) -> dict[str, int]:
    """The registry above, last weeks' snapshots, and Beta's promise; returns people's ids."""
    created = datetime(2026, 11, 1, tzinfo=UTC)
    (tmp_path / "daftar.csv").write_text(DAFTAR, encoding="utf-8")
    (tmp_path / "pengguna.csv").write_text(PEOPLE, encoding="utf-8")
    assert (await import_datasets(uow_factory, tmp_path / "daftar.csv", created)).ok
    assert (await import_people(uow_factory, tmp_path / "pengguna.csv", created)).ok
    async with uow_factory() as uow:
        people = {p.name: p for p in await uow.people.all()}
        people["Pak Pimpinan"].language = "en"
        opds = {o.name: o.code for o in await uow.opds.all()}
        datasets = {d.code: d.id for d in await uow.datasets.all()}
        uow.session.add(
            Extension(
                dataset_id=datasets["beta_bulanan"],
                period="2026-10",
                requested_by=people["Kepala Beta"].id,
                requested_at=created,
                new_due=date(2026, 11, 30),
                status="pending",
            )
        )
        for week, scope, percent in [
            (date(2026, 11, 9), "region", 40.0),
            (date(2026, 11, 16), "region", 50.0),
            (date(2026, 11, 16), f"opd:{opds['Dinas Alfa']}", 100.0),
            (date(2026, 11, 16), f"opd:{opds['Dinas Beta']}", 0.0),
        ]:
            uow.snapshots.add(snapshot(week, scope, percent))
        await uow.commit()
        return {name: person.id for name, person in people.items()}


def snapshot(week: date, scope: str, percent: float) -> ComplianceSnapshot:
    return ComplianceSnapshot(
        week=week,
        scope=scope,
        name=scope,
        taken_at=datetime.combine(week, datetime.min.time(), tzinfo=UTC),
        scheduled=2,
        up_to_date=1,
        due_soon=0,
        overdue=1,
        average_days_late=1.0,
        worst_days_late=1,
        percent=percent,
    )


async def run(uow_factory: UnitOfWorkFactory, at: datetime) -> DigestOutcome:
    result = await run_weekly_digest(uow_factory, at, SCHEDULE, WorkCalendar(), PLACE)
    return result.outcome


async def outbox_for(uow_factory: UnitOfWorkFactory, person_id: int) -> list[OutboxMessage]:
    async with uow_factory() as uow:
        query = (
            select(OutboxMessage)
            .where(OutboxMessage.person_id == person_id)
            .order_by(OutboxMessage.id)
        )
        return list((await uow.session.scalars(query)).all())


async def outbox_count(uow_factory: UnitOfWorkFactory) -> int:
    async with uow_factory() as uow:
        return int(await uow.session.scalar(select(func.count(OutboxMessage.id))) or 0)


async def test_snapshots_hold_the_figures_worked_out_by_hand(
    migrated: UnitOfWorkFactory, tmp_path: Path
) -> None:
    await build_registry(migrated, tmp_path)
    assert await run(migrated, MOMENT) is DigestOutcome.SENT

    async with migrated() as uow:
        stored = {s.name: s for s in await uow.snapshots.since(WEEK)}
    figures = {
        name: (s.scheduled, s.up_to_date, s.due_soon, s.overdue, round(s.percent, 1))
        for name, s in stored.items()
    }
    assert figures == {
        "Kabupaten Uji": (7, 4, 1, 3, 57.1),
        "Dinas Alfa": (4, 3, 1, 1, 75.0),
        "Dinas Beta": (2, 0, 0, 2, 0.0),
        "Dinas Gama": (1, 1, 0, 0, 100.0),
    }
    region = stored["Kabupaten Uji"]
    assert (round(region.average_days_late), region.worst_days_late) == (84, 237)
    assert stored["Dinas Beta"].average_days_late == 8.0


async def test_walidata_gets_everything_with_chart_and_spreadsheet(
    migrated: UnitOfWorkFactory, tmp_path: Path
) -> None:
    ids = await build_registry(migrated, tmp_path)
    await run(migrated, MOMENT)

    messages = await outbox_for(migrated, ids["Wati Walidata"])
    text = messages[0].text
    assert "Kepatuhan: 57,1% (▲ 7,1 poin dari pekan lalu)" in text
    assert "4 dari 7 dataset terjadwal mutakhir · 1 segera jatuh tempo · 3 terlambat" in text
    assert "(rata-rata 84 hari, terlama 237 hari)" in text
    assert "Tren 3 pekan: 40,0% → 50,0% → 57,1%" in text
    ranking = [line for line in text.splitlines() if line[:3] in ("1. ", "2. ", "3. ")]
    assert ranking == [
        "1. Dinas Gama: 100,0% (1/1)",
        "2. Dinas Alfa: 75,0% (3/4) · 1 terlambat, rata-rata 237 hari"
        " (▼ 25,0 poin dari pekan lalu)",
        "3. Dinas Beta: 0,0% (0/2) · 2 terlambat, rata-rata 8 hari (tetap dari pekan lalu)",
    ]
    assert "OPD tanpa penghubung data (pengingat tidak sampai): Dinas Gama, Dinas Beta" in text
    assert "Data Beta Rahasia (beta_rahasia), Dinas Beta: periode 2026-Q3" not in text
    assert "Data Beta Rahasia" in text  # the walidata sees tertutup titles

    kinds = [(m.file_kind, m.file.name if m.file else None) for m in messages]
    assert kinds == [
        (None, None),
        ("photo", "kepatuhan-opd.png"),
        ("photo", "kepatuhan-tren.png"),
        ("document", "kepatuhan-2026-11-23.xlsx"),
    ]
    assert messages[1].file is not None and messages[1].file.content.startswith(b"\x89PNG")

    sheet = load_workbook(io.BytesIO(messages[3].file.content)).active  # type: ignore[union-attr]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("OPD", "Kode", "Judul") and sheet["A1"].font.b
    assert sheet.freeze_panes == "A2"
    by_code = {row[1]: row for row in rows[1:]}
    assert len(by_code) == 7  # every scheduled dataset, the ad hoc one left out
    beta = by_code["beta_bulanan"]
    assert beta[6:10] == ("2026-10", datetime(2026, 11, 15), "terlambat", 8)
    assert beta[11:] == (datetime(2026, 11, 30), "menunggu persetujuan")
    assert by_code["alfa_segera"][8] == "segera jatuh tempo"
    assert by_code["alfa_tahunan"][10] == "Lia Penghubung"


async def test_officials_get_the_summary_in_their_language_without_closed_titles(
    migrated: UnitOfWorkFactory, tmp_path: Path
) -> None:
    ids = await build_registry(migrated, tmp_path)
    await run(migrated, MOMENT)

    messages = await outbox_for(migrated, ids["Pak Pimpinan"])
    text = messages[0].text
    assert text.startswith("📊 Weekly data compliance summary for Kabupaten Uji")
    assert "Compliance: 57,1% (▲ 7,1 points from last week)" in text
    assert "Best 2 agencies (above Kabupaten Uji's figure):" in text  # 57.1%: not Beta's 0%
    assert "1. Dinas Gama: 100,0% (1/1)" in text
    worst = text.split("agencies needing most attention:")[1].split("\n\n")[0]
    assert "Dinas Beta" in worst and "Dinas Gama" not in worst and "Dinas Alfa" not in worst
    assert "• Data Alfa Lama (alfa_lama), Dinas Alfa: period 2025, 237 days" in text
    assert "Rahasia" not in text and "beta_rahasia" not in text
    assert [m.file_kind for m in messages] == [None, "photo", "photo"]
    assert messages[1].text == "Compliance by agency, 23 November 2026"
    assert all(m.chat_id == 9002 for m in messages)


async def test_each_head_of_opd_gets_their_own_page(
    migrated: UnitOfWorkFactory, tmp_path: Path
) -> None:
    ids = await build_registry(migrated, tmp_path)
    await run(migrated, MOMENT)

    [beta] = await outbox_for(migrated, ids["Kepala Beta"])
    assert "Kepatuhan: 0,0% (tetap dari pekan lalu) · peringkat 3 dari 3 OPD" in beta.text
    assert "OPD ini belum punya penghubung data" in beta.text
    assert (
        "• Data Beta Bulanan (beta_bulanan): periode Oktober 2026, jatuh tempo 15 November 2026,"
        " terlambat 8 hari · dijanjikan 30 November 2026 (menunggu persetujuan walidata)"
    ) in beta.text
    assert "• dan 1 dataset tertutup yang terlambat" in beta.text
    assert "Rahasia" not in beta.text and "Alfa" not in beta.text

    [alfa] = await outbox_for(migrated, ids["Kepala Alfa"])
    assert "Kepatuhan: 75,0% (▼ 25,0 poin dari pekan lalu) · peringkat 2 dari 3 OPD" in alfa.text
    assert "Penghubung data: Lia Penghubung" in alfa.text
    assert "Data Alfa Lama (alfa_lama): periode 2025, jatuh tempo 31 Maret 2026" in alfa.text
    assert "Segera jatuh tempo:\n• Data Alfa Segera (alfa_segera)" in alfa.text
    assert "Beta" not in alfa.text

    assert await outbox_for(migrated, ids["Lia Penghubung"]) == []  # liaisons get reminders


async def test_sent_once_per_week_across_restarts(
    migrated: UnitOfWorkFactory, tmp_path: Path
) -> None:
    await build_registry(migrated, tmp_path)
    last_weeks = await run(migrated, MOMENT - timedelta(minutes=1))
    assert last_weeks is DigestOutcome.ALREADY
    assert await outbox_count(migrated) == 0
    assert await run(migrated, MOMENT) is DigestOutcome.SENT
    sent = await outbox_count(migrated)
    assert sent == 4 + 3 + 1 + 1
    for later in (MOMENT + timedelta(minutes=5), MOMENT + timedelta(days=4)):
        assert await run(migrated, later) is DigestOutcome.ALREADY
    assert await outbox_count(migrated) == sent

    next_monday = MOMENT + timedelta(weeks=1)
    assert await run(migrated, next_monday) is DigestOutcome.SENT
    assert await outbox_count(migrated) == 2 * sent


async def test_two_workers_at_the_same_moment_send_once(
    database_url: str, migrated: UnitOfWorkFactory, tmp_path: Path
) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("several workers run on PostgreSQL; SQLite is the single-process default")
    await build_registry(migrated, tmp_path)
    engines = [db.create_engine(database_url) for _ in range(3)]
    try:
        outcomes = await asyncio.gather(
            *(run(UnitOfWorkFactory(engine), MOMENT) for engine in engines)
        )
    finally:
        for engine in engines:
            await engine.dispose()
    assert sorted(outcomes) == [DigestOutcome.ALREADY, DigestOutcome.ALREADY, DigestOutcome.SENT]
    assert await outbox_count(migrated) == 9


async def test_a_digest_missed_for_days_keeps_the_figures_but_sends_nothing(
    migrated: UnitOfWorkFactory, tmp_path: Path
) -> None:
    await build_registry(migrated, tmp_path)
    assert await run(migrated, MOMENT + timedelta(days=3, hours=1)) is DigestOutcome.STALE
    assert await outbox_count(migrated) == 0
    async with migrated() as uow:
        assert await uow.snapshots.has_week(WEEK)


def test_the_best_are_above_the_region_the_worst_are_not_the_best_and_ties_are_said() -> None:
    def opd(code: str, up_to_date: int) -> Compliance:
        return Compliance(f"Dinas {code}", code, scheduled=10, up_to_date=up_to_date)

    # Best first, as the report orders them; the region stands at 60 %.
    opds = [opd(c, n) for c, n in zip("ABCDEFGH", (10, 10, 8, 7, 7, 6, 0, 0), strict=True)]
    report = ComplianceReport(Compliance("Kabupaten Uji", scheduled=10, up_to_date=6), opds, [])

    assert [c.code for c in report.best(3)] == ["A", "B", "C"]
    assert [c.code for c in report.best(5)] == ["A", "B", "C", "D", "E"]
    assert report.best_ties(3) == 0 and report.best_ties(4) == 1  # E ties D at 70 %
    assert [c.code for c in report.worst(3)] == ["H", "G", "F"]
    assert report.worst_ties(1) == 1  # G ties H at 0 %
    assert not {c.code for c in report.worst(5)} & {c.code for c in report.best(5)}
    nobody = ComplianceReport(Compliance("Kabupaten Uji", scheduled=2, up_to_date=1), [
        opd("X", 5), opd("Y", 5)], [])  # fmt: skip
    assert nobody.best(5) == []  # at the region's own figure: not "the best"
    everyone = ComplianceReport(Compliance("Kabupaten Uji", scheduled=1, up_to_date=1), [
        opd("X", 10)], [])  # fmt: skip
    assert [c.code for c in everyone.best(5)] == ["X"] and everyone.worst(5) == []


def test_a_holiday_monday_moves_the_digest_to_the_next_working_day() -> None:
    calendar = WorkCalendar()
    # 23 and 24 March 2026 are Idul Fitri collective leave; 17 August is Independence Day.
    assert SCHEDULE.moment(date(2026, 3, 23), WIB, calendar) == datetime(
        2026, 3, 25, 7, 30, tzinfo=WIB
    )
    assert SCHEDULE.moment(date(2026, 8, 17), WIB, calendar) == datetime(
        2026, 8, 18, 7, 30, tzinfo=WIB
    )
    # Before the moved moment, the latest digest due is still the previous week's.
    week, _ = SCHEDULE.latest(datetime(2026, 3, 24, 9, 0, tzinfo=WIB), WIB, calendar)
    assert week == date(2026, 3, 16)
    week, _ = SCHEDULE.latest(datetime(2026, 3, 25, 7, 30, tzinfo=WIB), WIB, calendar)
    assert week == date(2026, 3, 23)
    # Time zones are explicit: 07:30 WIT is 05:30 WIB.
    wit = ZoneInfo("Asia/Jayapura")
    assert SCHEDULE.moment(WEEK, wit, calendar).astimezone(WIB).hour == 5


@pytest.mark.parametrize(
    ("text", "weekday", "hour", "minute"),
    [("senin 07:30", 0, 7, 30), ("Jumat 16.00", 4, 16, 0), ("wednesday 9:05", 2, 9, 5)],
)
def test_the_digest_time_is_configurable(text: str, weekday: int, hour: int, minute: int) -> None:
    parsed = DigestSchedule.parse(text)
    assert (parsed.weekday, parsed.at.hour, parsed.at.minute) == (weekday, hour, minute)


@pytest.mark.parametrize("text", ["minggu 07:30", "senin", "senin 25:00", "07:30", ""])
def test_a_wrong_digest_time_is_refused_with_an_example(text: str) -> None:
    with pytest.raises(ValueError, match="senin"):
        DigestSchedule.parse(text)


async def test_sixty_agencies_fit_telegram_limits(
    migrated: UnitOfWorkFactory, tmp_path: Path
) -> None:
    rows = [
        f"d{opd}_{n},Data {n} Dinas Nomor {opd},Dinas Nomor {opd} Kabupaten Uji,tahunan,terbuka,"
        f"{2025 if n % 3 else 2023},,"
        for opd in range(60)
        for n in range(5)
    ]
    header = DAFTAR.splitlines()[0]
    (tmp_path / "besar.csv").write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    assert (await import_datasets(migrated, tmp_path / "besar.csv", MOMENT)).ok
    (tmp_path / "p.csv").write_text("nama,peran,opd,telegram_id\nW,walidata,,1\n", "utf-8")
    assert (await import_people(migrated, tmp_path / "p.csv", MOMENT)).ok
    assert await run(migrated, MOMENT) is DigestOutcome.SENT

    async with migrated() as uow:
        messages = list(await uow.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
    texts = [m.text for m in messages if m.file_id is None]
    assert len(texts) >= 2  # the walidata's page is longer than one message
    assert all(len(t) <= TEXT_LIMIT for t in texts)
    assert all(len(m.text) <= CAPTION_LIMIT for m in messages if m.file_id is not None)
    joined = "\n".join(texts)
    assert all(f"Dinas Nomor {opd} Kabupaten Uji:" in joined for opd in range(60))


async def test_the_digest_reaches_telegram_with_its_files(
    migrated: UnitOfWorkFactory, tmp_path: Path
) -> None:
    await build_registry(migrated, tmp_path)
    (tmp_path / "lagi.csv").write_text("nama,peran,opd,telegram_id\nBu Pimpinan,pimpinan,,9006\n")
    assert (await import_people(migrated, tmp_path / "lagi.csv", MOMENT)).ok
    await run(migrated, MOMENT)
    api = FakeBotApi(tokens={TOKEN})
    await api.start()
    try:
        api.inject("sendPhoto", "500")
        api.inject("sendDocument", "429", retry_after=1)
        async with httpx.AsyncClient(timeout=5) as client:
            deliverer = BotApiDeliverer(api.base_url, TOKEN, client)
            offset = MOMENT + timedelta(minutes=1) - datetime.now(UTC)  # a clock that runs
            sender = OutboxSender(migrated, deliverer, clock=lambda: datetime.now(UTC) + offset)
            report = await sender.drain_all(max_wait=10)
    finally:
        await api.stop()

    assert report.sent == 12 and report.undeliverable == 0
    walidata = api.sent_to(9001)
    assert [c.method for c in walidata] == ["sendMessage", "sendPhoto", "sendPhoto", "sendDocument"]
    sheet = api.file_of(walidata[3])
    assert load_workbook(io.BytesIO(sheet)).active.max_row == 8  # type: ignore[union-attr]
    assert walidata[3].params["caption"] == "Rincian kepatuhan per dataset, 23 November 2026"

    # Each chart (two per language) went up once; later sends refer to Telegram's file id.
    charts = api.calls_to("sendPhoto")
    uploads = [c for c in charts if c.files]
    assert len(charts) == 6 and len(uploads) == 4
    assert {api.file_of(c) for c in charts} == {api.file_of(c) for c in uploads}
    assert [c.method for c in api.sent_to(9006)] == ["sendMessage", "sendPhoto", "sendPhoto"]
    assert [c.method for c in api.sent_to(9003)] == ["sendMessage"]


async def test_kepatuhan_on_demand_gives_the_same_figures(
    database_url: str, migrated: UnitOfWorkFactory, tmp_path: Path
) -> None:
    ids = await build_registry(migrated, tmp_path)
    environ = {"DATABASE_URL": database_url, "SATUDATA_REGION_NAME": "Kabupaten Uji"}
    runtime = await build_runtime(Settings.from_env(environ, env_file=None), MOMENT)
    try:

        async def ask(command: str, who: str) -> str:
            incoming = Incoming(1, None, text=command, person_id=ids[who])
            [reply] = await runtime.dispatcher.handle(incoming, MOMENT)
            return reply.text

        # The English name answers in English, the Indonesian one in Indonesian, whatever the
        # person's own language (the official's is English).
        official = await ask("/compliance", "Pak Pimpinan")
        official_id = await ask("/kepatuhan", "Pak Pimpinan")
        walidata = await ask("/kepatuhan", "Wati Walidata")
    finally:
        await runtime.close()
    assert "Kabupaten Uji on 23 November 2026: 57,1% (▲ 7,1 points from last week)" in official
    assert "2. Dinas Alfa: 75,0% (3/4) · 1 overdue, average 237 days (▼ 25,0 points" in official
    assert "Rahasia" not in official
    assert "Kabupaten Uji per 23 November 2026: 57,1% (▲ 7,1 poin dari pekan lalu)" in official_id
    assert "Rahasia" not in official_id
    assert "• Data Beta Rahasia (beta_rahasia): periode Triwulan III 2026, 8 hari" in walidata


async def test_open_requests_nobody_answered_are_in_the_digest(
    migrated: UnitOfWorkFactory, tmp_path: Path
) -> None:
    ids = await build_registry(migrated, tmp_path)
    async with migrated() as uow:
        opds = {o.name: o.id for o in await uow.opds.all()}
        asked = DataRequest(
            created_by=ids["Wati Walidata"],
            created_at=MOMENT - timedelta(days=5),
            text="Mohon kirim data stunting per kecamatan\nTemplate terlampir.",
            deadline=date(2026, 11, 27),
            audience={},
            status="open",
        )
        answered = DataRequest(
            created_by=ids["Wati Walidata"],
            created_at=MOMENT - timedelta(days=5),
            text="Data sudah lengkap",
            audience={},
            status="open",
        )
        uow.session.add_all([asked, answered])
        await uow.session.flush()
        uow.session.add_all(
            [
                DataRequestRecipient(
                    request_id=asked.id, person_id=ids["Kepala Beta"], opd_id=opds["Dinas Beta"]
                ),
                DataRequestRecipient(
                    request_id=asked.id,
                    person_id=ids["Lia Penghubung"],
                    opd_id=opds["Dinas Alfa"],
                    answer="received",
                ),
                DataRequestRecipient(
                    request_id=answered.id,
                    person_id=ids["Kepala Beta"],
                    opd_id=opds["Dinas Beta"],
                    answer="sent",
                ),
            ]
        )
        await uow.commit()
    await run(migrated, MOMENT)

    [walidata, *_] = await outbox_for(migrated, ids["Wati Walidata"])
    line = (
        f"• #{asked.id} “Mohon kirim data stunting per kecamatan”, tenggat 27 November 2026:"
        " 1 dari 2 penerima belum menjawab (Dinas Beta)"
    )
    assert f"Permintaan data yang belum dijawab:\n{line}" in walidata.text
    assert "Data sudah lengkap" not in walidata.text
    [official, *_] = await outbox_for(migrated, ids["Pak Pimpinan"])
    assert "Data requests not yet answered:\n• #" in official.text
    [beta] = await outbox_for(migrated, ids["Kepala Beta"])
    assert f"belum dijawab OPD ini:\n• #{asked.id} “Mohon kirim data stunting" in beta.text
    [alfa] = await outbox_for(migrated, ids["Kepala Alfa"])
    assert "Permintaan" not in alfa.text


async def test_registered_leadership_groups_get_the_officials_summary(
    migrated: UnitOfWorkFactory, tmp_path: Path
) -> None:
    await build_registry(migrated, tmp_path)
    async with migrated() as uow:
        uow.session.add_all(
            [
                GroupChat(
                    chat_id=-100777,
                    title="Pimpinan",
                    purpose="digest_pimpinan",
                    registered_at=MOMENT,
                ),
                GroupChat(
                    chat_id=-100888, title="Tanya", purpose="tanya_data", registered_at=MOMENT
                ),
                GroupChat(chat_id=-100999, title="Belum terdaftar", purpose="digest_pimpinan"),
            ]
        )
        await uow.commit()
    await run(migrated, MOMENT)

    async with migrated() as uow:
        query = select(OutboxMessage).where(OutboxMessage.chat_id < 0).order_by(OutboxMessage.id)
        messages = list(await uow.session.scalars(query))
    assert {m.chat_id for m in messages} == {-100777}
    assert messages[0].text.startswith("📊 Ringkasan mingguan kepatuhan data Kabupaten Uji")
    assert "Rahasia" not in messages[0].text
    assert [m.file_kind for m in messages] == [None, "photo", "photo"]
