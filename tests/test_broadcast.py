"""/siaran and /permintaan through the dispatcher, as demo people, on a copy of the demo registry.

Demo people have no Telegram account until a test gives them one (`link`), which is what
decides who a broadcast can reach. Moment: Tuesday 24 November 2026, 09:00 WIB.
"""

from __future__ import annotations

import io
import json
import sqlite3
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from bot.wiring import Runtime, build_runtime
from domain.callbacks import INT_RANGE, parse
from domain.telegram_limits import CALLBACK_DATA_LIMIT
from handlers import broadcast
from handlers.broadcast import (
    MAX_DEADLINE_DAYS,
    ON_PRESS,
    ON_TYPED,
    TRANSITIONS,
    DraftStep,
    Moved,
    SiaranAction,
    SiaranButton,
    Typed,
)
from handlers.data_requests import FOLLOW_UPS
from handlers.messages import Attachment, Incoming, Reply
from reminders.audience import AudienceKind
from reminders.request_buttons import (
    RECIPIENT_ACTIONS,
    AnswerChoice,
    RequestAction,
    RequestButton,
)
from reminders.requests import run_request_tick

from .conftest import CHAT_ID, NOW, settings_for

WIB = ZoneInfo("Asia/Jakarta")
TUESDAY = datetime(2026, 11, 24, 9, 0, tzinfo=WIB)
WALIDATA = "Andi Prasetyo"
LIAISONS = ("Agus Setiawan", "Siti Rahmawati", "Nur Aini")
INTERNAL_ERROR = "Maaf, terjadi kesalahan"


def sql(database: Path, query: str, *params: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(database) as connection:
        rows = connection.execute(query, params).fetchall()
    connection.close()
    return rows


def person_id(database: Path, name: str) -> int:
    return sql(database, "SELECT id FROM people WHERE name = ?", name)[0][0]


def link(database: Path, *names: str) -> None:
    """Give these demo people a Telegram account (as an accepted invitation would)."""
    for name in names:
        sql(database, "UPDATE people SET telegram_user_id = ? WHERE name = ?",
            900_000 + person_id(database, name), name)  # fmt: skip


def add_walidata(database: Path, name: str) -> int:
    with sqlite3.connect(database) as connection:
        cursor = connection.execute(
            "INSERT INTO people (name, language, active, created_at) VALUES (?, 'id', 1, ?)",
            (name, "2026-11-01 00:00:00"),
        )
        new_id = cursor.lastrowid
        connection.execute("INSERT INTO person_roles VALUES (?, 'walidata')", (new_id,))
    connection.close()
    assert new_id is not None
    return new_id


def outbox(database: Path, kind: str) -> list[dict[str, Any]]:
    rows = sql(
        database,
        "SELECT p.name, o.text, o.buttons, o.key, o.status FROM outbox o "
        "LEFT JOIN people p ON p.id = o.person_id WHERE o.kind = ? ORDER BY o.id",
        kind,
    )
    return [
        {"to": n, "text": t, "buttons": json.loads(b), "key": k, "status": s}
        for n, t, b, k, s in rows
    ]


@pytest.fixture
async def bot(demo_db: Path) -> AsyncIterator[Runtime]:
    runtime = await build_runtime(settings_for(demo_db), NOW)
    yield runtime
    await runtime.close()


async def act(
    bot: Runtime,
    database: Path,
    who: str,
    text: str = "",
    *,
    data: str | None = None,
    document: Attachment | None = None,
    now: datetime = TUESDAY,
) -> list[Reply]:
    incoming = Incoming(
        CHAT_ID,
        None,
        text=text,
        callback_data=data,
        person_id=person_id(database, who),
        document=document,
    )
    replies = await bot.dispatcher.handle(incoming, now)
    assert all(INTERNAL_ERROR not in r.text for r in replies), [r.text for r in replies]
    return replies


def datas(reply: Reply) -> list[str | None]:
    return [b.data for row in reply.buttons for b in row]


async def compose(bot: Runtime, database: Path, text: str, audience: str = "liaisons") -> Reply:
    """/siaran → text → audience → seven working days: the preview."""
    await act(bot, database, WALIDATA, "/siaran")
    (question,) = await act(bot, database, WALIDATA, text)
    assert f"s:a:{audience}" in datas(question)
    (deadlines,) = await act(bot, database, WALIDATA, data=f"s:a:{audience}")
    seven = [d for d in datas(deadlines) if d != "s:d:0"][1]
    (preview,) = await act(bot, database, WALIDATA, data=seven)
    return preview


async def test_someone_other_than_the_walidata_is_told_siaran_is_for_the_walidata(
    bot: Runtime, demo_db: Path
) -> None:
    (reply,) = await act(bot, demo_db, "Agus Setiawan", "/siaran")

    assert reply.text.startswith("Maaf, /siaran hanya untuk walidata.")
    assert sql(demo_db, "SELECT count(*) FROM data_requests") == [(0,)]


async def test_preview_counts_reachable_recipients_and_names_the_others_and_sends_nothing(
    bot: Runtime, demo_db: Path
) -> None:
    link(demo_db, "Agus Setiawan", "Siti Rahmawati")

    preview = await compose(bot, demo_db, "Mohon kirim data stunting 2025.")

    assert "Penerima: 2 orang (Semua penghubung data)" in preview.text
    assert "Tidak dapat dijangkau (belum menghubungkan Telegram): Nur Aini" in preview.text
    assert "Batas waktu: 3 Desember 2026" in preview.text  # 7 working days
    assert datas(preview) == ["s:ok", "s:no"]
    assert sql(demo_db, "SELECT count(*) FROM outbox") == [(0,)]


async def test_confirming_writes_one_message_per_reachable_recipient_and_the_progress_line(
    bot: Runtime, demo_db: Path
) -> None:
    link(demo_db, WALIDATA, "Agus Setiawan", "Siti Rahmawati")
    await compose(bot, demo_db, "Mohon kirim data stunting 2025.")

    (sent,) = await act(bot, demo_db, WALIDATA, data="s:ok")

    assert sent.text.startswith("Siaran #1 dikirim ke 2 penerima.")
    (progress,) = outbox(demo_db, "request_progress")
    assert progress["text"] == "Siaran #1: terkirim 0/2 · gagal 0 · menunggu 2"
    messages = outbox(demo_db, "request")
    assert [m["to"] for m in messages] == ["Agus Setiawan", "Siti Rahmawati"]
    assert "Mohon kirim data stunting 2025." in messages[0]["text"]
    assert "Batas waktu: 3 Desember 2026" in messages[0]["text"]
    assert [b["data"] for row in messages[0]["buttons"] for b in row] == [
        "d:a:1:rcv", "d:a:1:prm", "d:a:1:snt", "d:a:1:no"
    ]  # fmt: skip
    recipients = sql(
        demo_db,
        "SELECT p.name, r.outbox_id IS NOT NULL, r.answer FROM data_request_recipients r "
        "JOIN people p ON p.id = r.person_id ORDER BY p.name",
    )
    assert recipients == [
        ("Agus Setiawan", 1, None), ("Nur Aini", 0, None), ("Siti Rahmawati", 1, None)
    ]  # fmt: skip
    assert sql(demo_db, "SELECT status FROM data_requests") == [("open",)]
    # Pressing "Kirim" again sends nothing more.
    (again,) = await act(bot, demo_db, WALIDATA, data="s:ok")
    assert again.text.startswith("Draf ini sudah tidak berlaku.")
    assert len(outbox(demo_db, "request")) == 2


async def test_an_audience_nobody_can_be_reached_in_is_refused_with_the_reason(
    bot: Runtime, demo_db: Path
) -> None:
    await act(bot, demo_db, WALIDATA, "/siaran")
    await act(bot, demo_db, WALIDATA, "Mohon kirim data.")

    refusal, question = await act(bot, demo_db, WALIDATA, data="s:a:heads")

    assert refusal.text == (
        "Tidak ada penerima yang dapat dijangkau untuk pilihan “Semua kepala OPD” (belum "
        "menghubungkan Telegram: Wahyu Hidayat, Retno Kusumawati). Pilih penerima lain."
    )
    assert "s:a:liaisons" in datas(question)
    assert sql(demo_db, "SELECT count(*) FROM outbox") == [(0,)]


async def test_chosen_opds_typed_by_name_with_a_suggestion_for_an_unknown_one(
    bot: Runtime, demo_db: Path
) -> None:
    link(demo_db, "Siti Rahmawati", "Agus Setiawan")
    await act(bot, demo_db, WALIDATA, "/siaran")
    await act(bot, demo_db, WALIDATA, "Mohon kirim data imunisasi.")
    (choose,) = await act(bot, demo_db, WALIDATA, data="s:a:opds")
    assert "s:od" in datas(choose)

    (unknown,) = await act(bot, demo_db, WALIDATA, "Dinas Perhubungan")
    (done_empty,) = await act(bot, demo_db, WALIDATA, data="s:od")
    (added,) = await act(bot, demo_db, WALIDATA, "Dinas Kesehatan")
    await act(bot, demo_db, WALIDATA, data="s:od")
    (preview,) = await act(bot, demo_db, WALIDATA, data="s:d:0")

    assert unknown.text.startswith("OPD “Dinas Perhubungan” tidak dikenal")
    assert "Mungkin maksud Anda: Dinas" in unknown.text
    assert done_empty.text == "Belum ada OPD yang dipilih. Pilih minimal satu OPD."
    assert added.text == "Dinas Kesehatan ditambahkan."
    assert "Penerima: 1 orang (OPD tertentu: Dinas Kesehatan)" in preview.text


async def test_two_walidata_composing_at_once_keep_their_own_drafts(
    bot: Runtime, demo_db: Path
) -> None:
    add_walidata(demo_db, "Budi Walidata")
    link(demo_db, "Agus Setiawan")
    await act(bot, demo_db, WALIDATA, "/siaran")
    await act(bot, demo_db, "Budi Walidata", "/siaran")
    await act(bot, demo_db, WALIDATA, "Pesan dari Andi.")
    await act(bot, demo_db, "Budi Walidata", "Pesan dari Budi.")
    await act(bot, demo_db, "Budi Walidata", "/batal")
    await act(bot, demo_db, WALIDATA, data="s:a:liaisons")
    (preview,) = await act(bot, demo_db, WALIDATA, data="s:d:0")

    assert preview.text.startswith("Pratinjau siaran\n\nPesan dari Andi.")
    drafts = sql(demo_db, "SELECT p.name, r.text FROM data_requests r JOIN people p "
                 "ON p.id = r.created_by WHERE r.status = 'draft'")  # fmt: skip
    assert drafts == [(WALIDATA, "Pesan dari Andi.")]
    (budi,) = await act(bot, demo_db, "Budi Walidata", data="s:ok")
    assert budi.text.startswith("Draf ini sudah tidak berlaku.")


async def test_a_message_longer_than_telegram_allows_is_refused_with_the_limit(
    bot: Runtime, demo_db: Path
) -> None:
    await act(bot, demo_db, WALIDATA, "/siaran")

    (reply,) = await act(bot, demo_db, WALIDATA, "data " * 900)

    assert reply.text.startswith("Pesan terlalu panjang untuk satu pesan Telegram: 4.499 karakter")
    assert "maksimal 3.696" in reply.text
    assert sql(demo_db, "SELECT text FROM data_requests") == [("",)]


async def test_an_attached_template_travels_with_the_request(bot: Runtime, demo_db: Path) -> None:
    link(demo_db, "Agus Setiawan")
    await act(bot, demo_db, WALIDATA, "/siaran")
    template = Attachment("document", "templat.xlsx", b"PK-template")

    (added, _question) = await act(bot, demo_db, WALIDATA, "Isi templat terlampir.",
                                  document=template)  # fmt: skip
    await act(bot, demo_db, WALIDATA, data="s:a:liaisons")
    (preview,) = await act(bot, demo_db, WALIDATA, data="s:d:0")
    await act(bot, demo_db, WALIDATA, data="s:ok")

    assert added.text == "Lampiran “templat.xlsx” disimpan untuk siaran ini."
    assert "Lampiran: templat.xlsx" in preview.text
    rows = sql(demo_db, "SELECT o.kind, f.name FROM outbox o JOIN outbox_files f "
               "ON f.id = o.file_id")  # fmt: skip
    assert rows == [("request", "templat.xlsx")]


async def sent_request(bot: Runtime, demo_db: Path) -> None:
    """Request #1 to the three liaisons, two of them reached."""
    link(demo_db, WALIDATA, "Agus Setiawan", "Siti Rahmawati")
    await compose(bot, demo_db, "Mohon kirim data stunting 2025.")
    await act(bot, demo_db, WALIDATA, data="s:ok")
    sql(demo_db, "UPDATE outbox SET status = 'sent' WHERE kind = 'request'")


async def test_answers_are_recorded_and_shown_per_opd_and_exported(
    bot: Runtime, demo_db: Path
) -> None:
    await sent_request(bot, demo_db)

    (dates,) = await act(bot, demo_db, "Agus Setiawan", data="d:a:1:prm")
    promise = datas(dates)[1]
    (promised,) = await act(bot, demo_db, "Agus Setiawan", data=promise)
    (sent,) = await act(bot, demo_db, "Siti Rahmawati", data="d:a:1:snt")
    (filed,) = await act(bot, demo_db, "Siti Rahmawati",
                         document=Attachment("document", "stunting.xlsx", b"data"))  # fmt: skip
    (stranger,) = await act(bot, demo_db, "Wahyu Hidayat", data="d:a:1:rcv")

    assert promise == "d:pd:1:20261127"  # three working days after Tuesday
    assert promised.text == "Tercatat: data untuk permintaan #1 akan dikirim pada 27 November 2026."
    assert sent.text.startswith("Tercatat: data untuk permintaan #1 sudah dikirim.")
    assert filed.text == "File “stunting.xlsx” diterima untuk permintaan #1. Terima kasih!"
    assert stranger.text == "Permintaan ini tidak ditujukan kepada Anda."
    answers = sql(
        demo_db,
        "SELECT p.name, r.answer, r.promised_date, r.answered_at IS NOT NULL, "
        "r.answer_file_id IS NOT NULL FROM data_request_recipients r "
        "JOIN people p ON p.id = r.person_id ORDER BY p.name",
    )
    assert answers == [
        ("Agus Setiawan", "promised", "2026-11-27", 1, 0),
        ("Nur Aini", None, None, 0, 0),
        ("Siti Rahmawati", "sent", None, 1, 1),
    ]

    (listing,) = await act(bot, demo_db, WALIDATA, "/permintaan")
    assert datas(listing) == ["d:v:1"]
    (detail,) = await act(bot, demo_db, WALIDATA, data="d:v:1")
    assert "• Badan Perencanaan Pembangunan Daerah: 0 · 1 (27 November 2026) · 0 · 0 · 0" in (
        detail.text
    )
    assert "• Dinas Kesehatan: 0 · 0 · 1 · 0 · 0" in detail.text
    assert datas(detail) == ["d:r:1", "d:x:1", "d:c:1", "d:k:1"]
    (reminded,) = await act(bot, demo_db, WALIDATA, data="d:r:1")
    assert reminded.text == "Semua penerima sudah menjawab."  # Nur Aini is not on Telegram

    (export,) = await act(bot, demo_db, WALIDATA, data="d:x:1")
    assert export.attachment is not None and export.attachment.filename == "permintaan-1.xlsx"
    sheet = load_workbook(io.BytesIO(export.attachment.content)).active
    assert sheet is not None
    rows = [tuple(c.value for c in row) for row in sheet.iter_rows()]
    assert rows[0] == ("OPD", "Nama", "Pengiriman", "Jawaban", "Tanggal janji",
                       "Waktu jawaban", "File")  # fmt: skip
    assert [row[1:4] for row in rows[1:]] == [
        ("Agus Setiawan", "terkirim", "dijanjikan"),
        ("Siti Rahmawati", "terkirim", "sudah dikirim"),
        ("Nur Aini", "tidak terjangkau", "belum menjawab"),
    ]


async def test_not_ours_tells_the_walidata_who_sent_the_request_and_says_so(
    bot: Runtime, demo_db: Path
) -> None:
    await sent_request(bot, demo_db)
    before = {key for (key,) in sql(demo_db, "SELECT key FROM outbox")}

    (answered,) = await act(bot, demo_db, "Agus Setiawan", data=f"d:a:1:{AnswerChoice.NOT_OURS}")
    (again,) = await act(bot, demo_db, "Agus Setiawan", data=f"d:a:1:{AnswerChoice.NOT_OURS}")

    assert answered.text == (
        "Tercatat: permintaan #1 bukan wewenang OPD Anda. Walidata Andi Prasetyo sudah diberi "
        "tahu untuk meninjaunya."
    )
    assert again.text == answered.text
    new = sql(
        demo_db,
        "SELECT p.name, o.text, o.buttons FROM outbox o JOIN people p ON p.id = o.person_id"
        " WHERE o.key NOT IN (" + ",".join("?" * len(before)) + ")",
        *before,
    )
    ((to, text, buttons),) = new  # once, however often it is pressed
    assert to == WALIDATA
    assert text.startswith(
        "🚫 Agus Setiawan (Badan Perencanaan Pembangunan Daerah) menyatakan permintaan data #1"
    )
    assert [b["data"] for row in json.loads(buttons) for b in row] == ["d:v:1"]


async def test_closing_tells_the_recipients_once_and_stops_answers(
    bot: Runtime, demo_db: Path
) -> None:
    await sent_request(bot, demo_db)

    (closed,) = await act(bot, demo_db, WALIDATA, data="d:c:1")
    (again,) = await act(bot, demo_db, WALIDATA, data="d:k:1")
    (late,) = await act(bot, demo_db, "Agus Setiawan", data="d:a:1:rcv")

    assert closed.text == "Permintaan #1 ditutup; 2 penerima diberi tahu."
    assert again.text == "Permintaan #1 sudah ditutup."
    assert late.text.startswith("Permintaan #1 sudah ditutup;")
    told = outbox(demo_db, "notice")
    assert sorted(n["to"] for n in told) == ["Agus Setiawan", "Siti Rahmawati"]
    assert told[0]["text"].startswith("Permintaan data #1 dari walidata sudah ditutup.")
    (listing,) = await act(bot, demo_db, WALIDATA, "/permintaan")
    assert listing.text == "Tidak ada permintaan data yang terbuka."


async def test_cancelling_before_delivery_withdraws_unsent_messages(
    bot: Runtime, demo_db: Path
) -> None:
    link(demo_db, WALIDATA, "Agus Setiawan", "Siti Rahmawati")
    await compose(bot, demo_db, "Mohon kirim data stunting 2025.")
    await act(bot, demo_db, WALIDATA, data="s:ok")
    sql(demo_db, "UPDATE outbox SET status = 'sent' WHERE key = 'request:1:' || "
        "(SELECT id FROM people WHERE name = 'Agus Setiawan')")  # fmt: skip

    (cancelled,) = await act(bot, demo_db, WALIDATA, data="d:k:1")

    assert cancelled.text == "Permintaan #1 dibatalkan; 1 penerima diberi tahu."
    statuses = {m["to"]: m["status"] for m in outbox(demo_db, "request")}
    assert statuses == {"Agus Setiawan": "sent", "Siti Rahmawati": "cancelled"}
    assert [n["to"] for n in outbox(demo_db, "notice")] == ["Agus Setiawan"]


async def test_the_liaisons_buttons_are_not_for_the_walidatas_follow_up(
    bot: Runtime, demo_db: Path
) -> None:
    await sent_request(bot, demo_db)

    (reply,) = await act(bot, demo_db, "Agus Setiawan", data="d:c:1")

    assert reply.text == "Tombol ini hanya untuk walidata."
    assert sql(demo_db, "SELECT status FROM data_requests") == [("open",)]


async def test_a_request_with_a_deadline_is_chased_on_the_dataset_cadence_once_per_step(
    bot: Runtime, demo_db: Path
) -> None:
    await sent_request(bot, demo_db)  # deadline Thursday 3 December 2026
    await act(bot, demo_db, "Siti Rahmawati", data="d:a:1:snt")
    settings = bot.dispatcher.app.reminders
    h_minus_1 = datetime(2026, 12, 2, 9, 0, tzinfo=WIB)

    first = await run_request_tick(bot.uow, h_minus_1, settings)
    again = await run_request_tick(bot.uow, h_minus_1 + timedelta(hours=2), settings)
    evening = await run_request_tick(bot.uow, datetime(2026, 12, 3, 20, 0, tzinfo=WIB), settings)
    escalation = await run_request_tick(
        bot.uow, datetime(2026, 12, 8, 9, 0, tzinfo=WIB), settings
    )  # H+3: the liaison and the head of their OPD

    assert (first, again, evening) == (1, 0, 0)
    reminders = outbox(demo_db, "request_reminder")
    assert [r["to"] for r in reminders] == ["Agus Setiawan", "Agus Setiawan"]
    assert reminders[0]["text"].startswith(
        "🔔 Pengingat: permintaan data #1 belum Anda jawab (batas waktu 3 Desember 2026)."
    )
    assert escalation == 1  # Wahyu Hidayat, head of Bappeda, is not on Telegram
    assert sql(demo_db, "SELECT reminded_steps FROM data_requests") == [('["H-1", "H+3"]',)]


# --- buttons: what they carry, and what a forged or outdated one gets -----------------------

STALE = "Tombol ini sudah tidak berlaku. Silakan ketik pertanyaan Anda lagi."
BIGGEST_ID = INT_RANGE.stop - 1  # the largest database id (PostgreSQL INTEGER)


@pytest.mark.parametrize(
    "button",
    [
        *(SiaranButton.audience(kind) for kind in AudienceKind),
        SiaranButton.opd(BIGGEST_ID),
        SiaranButton.deadline(MAX_DEADLINE_DAYS),
        SiaranButton.deadline(0),
        *(SiaranButton.plain(a) for a in (SiaranAction.OPDS_DONE, SiaranAction.SEND)),
        SiaranButton.plain(SiaranAction.CANCEL),
        *(RequestButton.answer(BIGGEST_ID, choice) for choice in AnswerChoice),
        RequestButton.promise(BIGGEST_ID, datetime(9999, 12, 31).date()),
        *(
            RequestButton.follow_up(action, BIGGEST_ID)
            for action in RequestAction
            if action not in RECIPIENT_ACTIONS
        ),
    ],
    ids=lambda b: b.pack(),
)
def test_every_broadcast_and_request_button_fits_telegram_and_reads_back(
    button: SiaranButton | RequestButton,
) -> None:
    data = button.pack()

    assert len(data.encode()) <= CALLBACK_DATA_LIMIT
    assert type(button).unpack(data) == button
    assert parse(data) == button


def test_buttons_sent_before_payloads_were_typed_read_the_same() -> None:
    assert SiaranButton.unpack("s:a:liaisons") == SiaranButton.audience(AudienceKind.LIAISONS)
    assert SiaranButton.unpack("s:o:12") == SiaranButton.opd(12)
    assert SiaranButton.unpack("s:d:9") == SiaranButton.deadline(9)
    assert SiaranButton.unpack("s:od") == SiaranButton.plain(SiaranAction.OPDS_DONE)
    assert RequestButton.unpack("d:a:7:prm") == RequestButton.answer(7, AnswerChoice.PROMISE)
    assert RequestButton.unpack("d:pd:7:20261127") == RequestButton.promise(
        7, datetime(2026, 11, 27).date()
    )
    assert RequestButton.unpack("d:k:7") == RequestButton.follow_up(RequestAction.CANCEL, 7)


def snapshot(database: Path) -> list[list[tuple[Any, ...]]]:
    return [
        sql(database, f"SELECT * FROM {table} ORDER BY id")
        for table in ("data_requests", "data_request_recipients", "outbox", "outbox_files")
    ]


FORGED = [
    "s", "s:", "s:a", "s:a:", "s:a:everyone", "s:o", "s:o:x", "s:o:-1", "s:o:1.5", "s:d",
    "s:d:-3", f"s:d:{MAX_DEADLINE_DAYS + 1}", "s:d:99999999999999", "s:ok:1", "s:od:2", "s:zz",
    "s:a:liaisons:x", "s:no::",
    "d", "d:", "d:a", "d:a:1", "d:a:1:", "d:a:1:yes", "d:a:x:rcv", "d:pd:1", "d:pd:1:2026112",
    "d:pd:1:20261340", "d:pd:1:2026-11-27", "d:v", "d:v:x", "d:v:1:9", "d:r:1::", "d:q:1",
    "d:a:1:rcv:1",
]  # fmt: skip


@pytest.mark.usefixtures("no_logged_errors")
async def test_forged_or_truncated_buttons_are_stale_and_change_nothing(
    bot: Runtime, demo_db: Path
) -> None:
    await sent_request(bot, demo_db)
    await act(bot, demo_db, WALIDATA, "/siaran")
    await act(bot, demo_db, WALIDATA, "Permintaan kedua.")  # a draft waiting for its audience
    state = snapshot(demo_db)

    for data in FORGED:
        for who in (WALIDATA, "Agus Setiawan"):
            (reply,) = await act(bot, demo_db, who, data=data)
            assert reply.text == STALE, (data, who)
    for data in ("d:v:999", "d:a:999:rcv", "d:a:2:rcv"):  # no such request; #2 is a draft
        (reply,) = await act(bot, demo_db, WALIDATA, data=data)
        assert reply.text == STALE, data

    assert snapshot(demo_db) == state


@pytest.mark.parametrize(
    "data",
    [
        "d:pd:1:20261123",  # yesterday
        "d:pd:1:99991231",  # no promise at all
        "d:pd:1:20270601",  # further off than any date offered
        "d:pd:99999999999:20261125",  # a request id no column holds
        "d:a:2147483648:rcv",
    ],
)
async def test_a_promise_no_button_offered_is_stale(bot: Runtime, demo_db: Path, data: str) -> None:
    await sent_request(bot, demo_db)
    state = snapshot(demo_db)

    (reply,) = await act(bot, demo_db, "Agus Setiawan", data=data)

    assert reply.text == STALE
    assert snapshot(demo_db) == state


async def test_the_latest_date_offered_can_be_promised(bot: Runtime, demo_db: Path) -> None:
    await sent_request(bot, demo_db)
    (offered,) = await act(bot, demo_db, "Agus Setiawan", data="d:a:1:prm")

    latest = datas(offered)[-1]
    assert latest is not None
    (reply,) = await act(bot, demo_db, "Agus Setiawan", data=latest)

    assert reply.text != STALE and "8 Desember 2026" in reply.text, reply.text
    assert sql(
        demo_db, "SELECT promised_date FROM data_request_recipients WHERE answer IS NOT NULL"
    ) == [("2026-12-08",)]


# --- the /siaran steps -----------------------------------------------------------------------

WRONG_STEP = "Tombol ini bukan untuk langkah draf siaran Anda saat ini; draf menunggu"


async def test_a_button_of_a_step_the_draft_has_left_is_answered_and_changes_nothing(
    bot: Runtime, demo_db: Path
) -> None:
    link(demo_db, "Agus Setiawan", "Siti Rahmawati")
    await act(bot, demo_db, WALIDATA, "/siaran")
    (early,) = await act(bot, demo_db, WALIDATA, data="s:ok")  # the text is not written yet
    await act(bot, demo_db, WALIDATA, "Mohon kirim data stunting 2025.")
    (opds,) = await act(bot, demo_db, WALIDATA, data="s:a:opds")
    opd_button = datas(opds)[0]
    await act(bot, demo_db, WALIDATA, data="s:a:liaisons")  # another audience instead
    (deadlines,) = await act(bot, demo_db, WALIDATA, data="s:a:liaisons")
    seven = [d for d in datas(deadlines) if d != "s:d:0"][1]
    (preview,) = await act(bot, demo_db, WALIDATA, data=seven)
    state = snapshot(demo_db)

    (old_deadline,) = await act(bot, demo_db, WALIDATA, data="s:d:0")
    (old_opd,) = await act(bot, demo_db, WALIDATA, data=opd_button)
    (old_done,) = await act(bot, demo_db, WALIDATA, data="s:od")

    assert early.text.startswith(WRONG_STEP) and "pesan permintaan data" in early.text
    assert old_deadline.text == (f"{WRONG_STEP} konfirmasi pada pratinjau. Tidak ada yang diubah.")
    assert old_opd.text == old_done.text == old_deadline.text
    assert snapshot(demo_db) == state
    assert "Batas waktu: 3 Desember 2026" in preview.text
    (sent,) = await act(bot, demo_db, WALIDATA, data="s:ok")
    assert sent.text.startswith("Siaran #1 dikirim ke 2 penerima.")


async def test_the_audience_can_be_chosen_again_from_the_preview(
    bot: Runtime, demo_db: Path
) -> None:
    link(demo_db, "Agus Setiawan", "Siti Rahmawati", "Sri Wahyuni")
    await compose(bot, demo_db, "Mohon kirim data.")

    (deadlines,) = await act(bot, demo_db, WALIDATA, data="s:a:officials")
    (preview,) = await act(bot, demo_db, WALIDATA, data="s:d:0")

    assert "s:d:0" in datas(deadlines)
    assert "(Pimpinan)" in preview.text
    assert "Batas waktu: tidak ada" in preview.text


async def test_english_walidata_is_told_the_step_in_english(bot: Runtime, demo_db: Path) -> None:
    sql(demo_db, "UPDATE people SET language = 'en' WHERE name = ?", WALIDATA)
    await act(bot, demo_db, WALIDATA, "/broadcast")
    await act(bot, demo_db, WALIDATA, "Please send the stunting data.")

    (reply,) = await act(bot, demo_db, WALIDATA, data="s:ok")

    assert reply.text == (
        "This button is not for the step your broadcast draft is at; the draft is waiting for "
        "the choice of recipients. Nothing was changed."
    )


def test_every_step_takes_cancel_and_every_event_has_its_handler() -> None:
    assert set(TRANSITIONS) == set(DraftStep)
    for step, events in TRANSITIONS.items():
        assert SiaranAction.CANCEL in events, step
        assert sum(isinstance(e, Typed) for e in events) <= 1, step  # typing means one thing
        for event, targets in events.items():
            assert event in (ON_TYPED if isinstance(event, Typed) else ON_PRESS), event
            assert targets, (step, event)
    reachable = {to for events in TRANSITIONS.values() for t in events.values() for to in t}
    assert reachable == {*DraftStep, None} - {DraftStep.TEXT}  # TEXT: /siaran alone


async def test_a_move_the_table_does_not_allow_is_rolled_back_whole(
    bot: Runtime, demo_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A handler that went astray (a bug) leaves the draft as it was, not half-changed."""
    link(demo_db, "Agus Setiawan")
    await act(bot, demo_db, WALIDATA, "/siaran")
    await act(bot, demo_db, WALIDATA, "Mohon kirim data.")
    await act(bot, demo_db, WALIDATA, data="s:a:liaisons")
    state = snapshot(demo_db)

    async def astray(request: Any, uow: Any, draft: Any, button: SiaranButton) -> Moved:
        draft.text = "half-changed"
        return Moved(DraftStep.TEXT, [])

    monkeypatch.setitem(broadcast.ON_PRESS, SiaranAction.DEADLINE, astray)
    incoming = Incoming(CHAT_ID, None, callback_data="s:d:0",
                        person_id=person_id(demo_db, WALIDATA))  # fmt: skip
    (reply,) = await bot.dispatcher.handle(incoming, TUESDAY)

    assert reply.text.startswith(INTERNAL_ERROR)
    assert snapshot(demo_db) == state


def test_every_button_of_the_walidata_s_follow_up_does_something() -> None:
    assert set(FOLLOW_UPS) | RECIPIENT_ACTIONS == set(RequestAction)
    assert not set(FOLLOW_UPS) & RECIPIENT_ACTIONS
