"""Liaisons send their data in chat. /kirim gives the spreadsheet of the period their dataset
owes, with its regions, categories and indicators; filled in and loaded as the walidata loads
a file, it gives the registry exactly the values written in it. A file sent back is checked
within the message: every problem is named, and a file without any goes to the walidata.
Through `Dispatcher.handle` as demo people, on a copy of the demo registry with two kecamatan
tables of Bappeda added (by sex, and three indicators of rice), as the import of an OPD's
spreadsheet leaves them.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import sqlite3
import subprocess
import zipfile
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from bot.wiring import Runtime, build_runtime
from domain.engine import ReminderSettings
from handlers.messages import Attachment, Incoming, IncomingFile, Reply
from reminders.tick import plan_at, run_tick
from storage import db
from storage.importing import import_datasets
from storage.submission_check import template_of
from storage.tables.gazetteer import Gazetteer
from storage.tables.reading import TableContext
from storage.uow import UnitOfWorkFactory
from storage.value_import import import_values
from texts.i18n import texts

from .cli_runner import satudata as run_cli
from .conftest import CHAT_ID, NOW, settings_for
from .regional_corpus import daftar_data
from .test_cli import assert_one_line_error

PASURUAN = "35.14"
SEXES = ("Laki-laki", "Perempuan")
PENDUDUK = TableContext("penduduk_kec", "Jumlah Penduduk per Kecamatan", "tahunan", "jiwa")
PADI = TableContext("padi_kec", "Luas Panen, Produksi dan Produktivitas Padi", "tahunan")
CROPS = ("Luas Panen (ha)", "Produksi (ton)", "Produktivitas (kuintal/ha)")


def kecamatan() -> list[tuple[str, str]]:
    gazetteer = Gazetteer.default()
    places = [gazetteer.place(code) for code in gazetteer.codes(3)]
    return [(p.code, p.name) for p in places if p is not None and p.parent == PASURUAN]


def csv_file(path: Path, header: list[str], rows: list[list[Any]]) -> Path:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    path.write_text(out.getvalue())
    return path


@pytest.fixture
async def registry(demo_db: Path, tmp_path: Path) -> Path:
    return await with_kecamatan_tables(demo_db, tmp_path)


async def with_kecamatan_tables(demo_db: Path, tmp_path: Path) -> Path:
    """The demo registry with both tables loaded for 2024 (so 2025 is owed)."""
    engine = db.create_engine(f"sqlite:///{demo_db}")
    uow = UnitOfWorkFactory(engine)
    try:
        register = tmp_path / "daftar.csv"
        register.write_bytes(daftar_data([(c.dataset_code, c) for c in (PENDUDUK, PADI)]))
        assert (await import_datasets(uow, register, NOW)).ok
        places = kecamatan()
        people = [[c, n, 2024, s, 1000 + i] for i, (c, n) in enumerate(places) for s in SEXES]
        header = ["Kode Wilayah", "Kecamatan", "Tahun", "Jenis Kelamin", "Jumlah"]
        table = csv_file(tmp_path / "penduduk.csv", header, people)
        assert (await import_values(uow, table, "penduduk_kec", NOW, home_code=PASURUAN)).ok
        rice = [[c, n, 2024, 10.5 + i, 60.0 + i, 57.1] for i, (c, n) in enumerate(places)]
        header = ["Kode Wilayah", "Kecamatan", "Tahun", *CROPS]
        table = csv_file(tmp_path / "padi.csv", header, rice)
        assert (await import_values(uow, table, "padi_kec", NOW, home_code=PASURUAN)).ok
    finally:
        await engine.dispose()
    return demo_db


@pytest.fixture
async def bot(registry: Path) -> AsyncIterator[Runtime]:
    runtime = await build_runtime(settings_for(registry), NOW)
    yield runtime
    await runtime.close()


def person(database: Path, name: str) -> int:
    with sqlite3.connect(database) as connection:
        (found,) = connection.execute("SELECT id FROM people WHERE name = ?", (name,)).fetchone()
    connection.close()
    return int(found)


async def send(
    bot: Runtime,
    database: Path,
    who: str,
    text: str = "",
    *,
    data: str = "",
    file: tuple[str, bytes] | None = None,
) -> Reply:
    incoming = Incoming(
        CHAT_ID,
        None,
        text=text,
        callback_data=data or None,
        person_id=person(database, who),
        document=Attachment("document", *file) if file else None,
    )
    (reply,) = await bot.dispatcher.handle(incoming, NOW)
    return reply


def fill(content: bytes, value: Any) -> tuple[bytes, list[tuple[Any, ...]]]:
    """The template with every value cell filled by `value(row, column)`; the data rows as
    filled, header first."""
    book = load_workbook(io.BytesIO(content))
    sheet = book["Data"]
    rows = list(sheet.iter_rows())
    header = next(
        i for i, row in enumerate(rows) if row[0].value in ("Kode Wilayah", "Region code")
    )
    for number, row in enumerate(rows[header + 1 :]):
        for cell in row:
            if not cell.protection.locked:
                cell.value = value(number, cell.column)
    out = io.BytesIO()
    book.save(out)
    filled = [tuple(c.value for c in row) for row in rows[header:]]
    return out.getvalue(), filled


def cells(database: Path, code: str, period: str) -> dict[tuple[str, str, str], float]:
    """(indicator, kecamatan code, categories) → value, as the registry holds the period."""
    with sqlite3.connect(database) as connection:
        rows = connection.execute(
            "SELECT i.code, r.kemendagri_code, o.categories, o.value FROM observations o"
            " JOIN indicators i ON i.id = o.indicator_id JOIN datasets d ON d.id = i.dataset_id"
            " JOIN regions r ON r.id = o.region_id WHERE d.code = ? AND o.period = ?",
            (code, period),
        ).fetchall()
    connection.close()
    return {(i, r, c): v for i, r, c, v in rows}


async def load(bot: Runtime, path: Path, code: str) -> None:
    """As the walidata loads a file handed to them (`satudata import data`)."""
    report = await import_values(bot.uow, path, code, NOW, home_code=PASURUAN)
    assert report.ok, report.errors


async def test_a_liaison_gets_the_owed_period_by_sex_and_it_loads_as_filled(
    bot: Runtime, registry: Path, tmp_path: Path
) -> None:
    places = kecamatan()

    reply = await send(bot, registry, "Agus Setiawan", "/kirim penduduk_kec")

    assert reply.attachment is not None and reply.attachment.kind == "document"
    assert reply.attachment.filename == "templat-penduduk_kec-2025.xlsx"
    assert f"periode 2025 untuk {len(places)} wilayah" in reply.text
    assert template_of(reply.attachment.content) == ("penduduk_kec", "2025")
    content, rows = fill(reply.attachment.content, lambda row, _: 2000 + row)
    assert rows[0] == ("Kode Wilayah", "Kecamatan", "Tahun", "Jenis Kelamin", "Nilai (jiwa)")
    expected = [(c, n, 2025, s) for c, n in places for s in SEXES]
    assert [row[:4] for row in rows[1:]] == expected

    path = tmp_path / "filled.xlsx"
    path.write_bytes(content)
    await load(bot, path, "penduduk_kec")

    held = cells(registry, "penduduk_kec", "2025")
    for number, (code, _, _, sex) in enumerate(expected):
        category = f"jenis_kelamin={'laki_laki' if sex == 'Laki-laki' else 'perempuan'}"
        assert held[("penduduk_kec", code, category)] == 2000 + number
    for index, (code, _) in enumerate(places):  # the total, summed from both sexes
        assert held[("penduduk_kec", code, "")] == 2 * 2000 + 4 * index + 1
    assert len(held) == 3 * len(places)


async def test_three_indicators_get_a_column_each_in_their_units(
    bot: Runtime, registry: Path, tmp_path: Path
) -> None:
    reply = await send(bot, registry, "Agus Setiawan", "/kirim padi_kec")

    assert reply.attachment is not None
    content, rows = fill(reply.attachment.content, lambda row, column: row * 10 + column)
    assert rows[0] == (
        "Kode Wilayah",
        "Kecamatan",
        "Tahun",
        "Luas Panen (ha)",
        "Produksi (ton)",
        "Produktivitas (kuintal/ha)",
    )
    path = tmp_path / "padi.xlsx"
    path.write_bytes(content)
    await load(bot, path, "padi_kec")

    held = cells(registry, "padi_kec", "2025")
    before = cells(registry, "padi_kec", "2024")
    assert {key[0] for key in held} == {key[0] for key in before}  # the same three indicators
    indicators = sorted({key[0] for key in before}, key=lambda i: [k[0] for k in before].index(i))
    for number, row in enumerate(rows[1:]):
        for position, indicator in enumerate(indicators):
            assert held[(indicator, row[0], "")] == number * 10 + 4 + position


async def test_without_a_code_the_owed_datasets_are_offered_and_a_press_gives_one(
    bot: Runtime, registry: Path
) -> None:
    reply = await send(bot, registry, "Agus Setiawan", "/kirim")

    offered = [row[0] for row in reply.buttons]
    assert reply.text.startswith("Dataset yang ditunggu datanya, paling mendesak dulu")
    assert "penduduk_kec — periode 2025" in [b.text for b in offered]
    assert all(b.data and b.data.startswith("k:") for b in offered)
    chosen = next(b for b in offered if b.text.startswith("penduduk_kec"))
    pressed = await send(bot, registry, "Agus Setiawan", data=chosen.data or "")
    assert pressed.attachment is not None
    assert pressed.attachment.filename == "templat-penduduk_kec-2025.xlsx"


async def test_only_the_datasets_own_liaisons_and_the_walidata_get_it(
    bot: Runtime, registry: Path
) -> None:
    other = await send(bot, registry, "Nur Aini", "/kirim penduduk_kec")  # disnakertrans
    official = await send(bot, registry, "Sri Wahyuni", "/kirim penduduk_kec")  # pimpinan
    walidata = await send(bot, registry, "Andi Prasetyo", "/kirim penduduk_kec")
    pressed = await send(bot, registry, "Nur Aini", data="k:999999")

    assert other.attachment is None
    assert other.text == (
        "Dataset “Jumlah Penduduk per Kecamatan” milik Badan Perencanaan Pembangunan Daerah: "
        "templatnya untuk penghubung data OPD itu atau walidata."
    )
    assert official.attachment is None and official.text.startswith("Perintah /kirim untuk")
    assert walidata.attachment is not None
    assert pressed.text == "Tombol ini sudah tidak berlaku. Silakan ketik pertanyaan Anda lagi."


async def test_an_unknown_code_suggests_the_liaisons_own_datasets(
    bot: Runtime, registry: Path
) -> None:
    typo = await send(bot, registry, "Agus Setiawan", "/kirim penduduk_kek")
    theirs = await send(bot, registry, "Nur Aini", "/kirim penduduk_kek")

    assert typo.attachment is None
    assert typo.text.startswith("Dataset dengan kode “penduduk_kek” tidak ada; maksud Anda:")
    assert "penduduk_kec" in typo.text
    assert "penduduk_kec" not in theirs.text  # not a dataset Nur Aini may send


async def test_in_english_the_template_speaks_english_and_loads_the_same(
    bot: Runtime, registry: Path, tmp_path: Path
) -> None:
    reply = await send(bot, registry, "Agus Setiawan", "/send penduduk_kec")

    assert reply.text.startswith("Template of “Jumlah Penduduk per Kecamatan”, period 2025")
    assert reply.attachment is not None
    sheet = load_workbook(io.BytesIO(reply.attachment.content))["Data"]
    assert str(sheet["A2"].value).startswith("How to fill in: only the yellow value cells")
    assert [c.value for c in sheet[6]][:2] == ["Region code", "Kecamatan"]
    content, rows = fill(reply.attachment.content, lambda row, _: 3000 + row)
    path = tmp_path / "filled-en.xlsx"
    path.write_bytes(content)
    await load(bot, path, "penduduk_kec")
    held = cells(registry, "penduduk_kec", "2025")
    assert held[("penduduk_kec", rows[1][0], "jenis_kelamin=laki_laki")] == 3000


# --- a file sent back -------------------------------------------------------------------------


def sql(database: Path, query: str, *params: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(database) as connection:  # commits on leaving
        rows = connection.execute(query, params).fetchall()
    connection.close()
    return rows


def notices(database: Path) -> list[tuple[str, str, bytes | None, str | None]]:
    """(to, text, attached file, its name) of each notice in the outbox."""
    return [(to, text, content, name) for to, text, content, name, _ in outbox(database)]


def outbox(database: Path) -> list[tuple[str, str, bytes | None, str | None, list[str]]]:
    """(to, text, attached file, its name, button data) of each notice, oldest first."""
    rows = sql(
        database,
        "SELECT p.name, o.text, f.content, f.name, o.buttons FROM outbox o"
        " JOIN people p ON p.id = o.person_id LEFT JOIN outbox_files f ON f.id = o.file_id"
        " WHERE o.kind = 'notice' ORDER BY o.id",
    )
    return [
        (to, text, content, name, [b["data"] for row in json.loads(buttons) for b in row])
        for to, text, content, name, buttons in rows
    ]


async def template(bot: Runtime, registry: Path, code: str = "penduduk_kec") -> bytes:
    reply = await send(bot, registry, "Agus Setiawan", f"/kirim {code}")
    assert reply.attachment is not None
    return reply.attachment.content


async def test_a_filled_template_is_read_and_goes_to_the_walidata_with_its_file(
    bot: Runtime, registry: Path
) -> None:
    places = kecamatan()
    content, _ = fill(await template(bot, registry), lambda row, _: 2000 + row)

    reply = await send(bot, registry, "Agus Setiawan", file=("penduduk.xlsx", content))

    assert reply.text == (
        "Terima kasih, berkas “penduduk.xlsx” terbaca tanpa masalah: “Jumlah Penduduk per "
        f"Kecamatan” (penduduk_kec) periode 2025, {len(places)} wilayah, {2 * len(places)} "
        f"baris, {3 * len(places)} nilai menurut Jenis Kelamin; indikator: Nilai (jiwa). "
        "Berkas diteruskan ke walidata untuk diperiksa; Anda diberi tahu keputusannya."
    )
    ((to, text, attached, name), chart) = notices(registry)
    assert (to, attached, name) == ("Andi Prasetyo", content, "penduduk.xlsx")
    assert chart[0] == "Andi Prasetyo" and chart[2] is not None and chart[2][:4] == b"\x89PNG"
    assert chart[1] == "📊 Perubahan per wilayah dibanding periode sebelumnya: penduduk_kec."
    assert text.startswith("📥 Agus Setiawan (Badan Perencanaan Pembangunan Daerah) mengirim")
    assert text.endswith("Terima untuk memuatnya ke registri, atau kembalikan dengan alasannya.")
    ((detail,),) = sql(
        registry, "SELECT detail FROM audit_log WHERE action = 'submission_received'"
    )
    assert '"period": "2025"' in detail
    assert cells(registry, "penduduk_kec", "2025") == {}  # the walidata loads it, not the bot


async def test_every_problem_is_named_and_nothing_goes_anywhere(
    bot: Runtime, registry: Path
) -> None:
    places = kecamatan()

    def value(row: int, _: int) -> Any:
        return {0: "dua ribu", 2: -5}.get(row, None if row in (4, 5) else 100)

    content, _ = fill(await template(bot, registry), value)
    reply = await send(bot, registry, "Agus Setiawan", file=("penduduk.xlsx", content))

    assert reply.text.startswith(
        "Berkas “penduduk.xlsx” untuk “Jumlah Penduduk per Kecamatan” (penduduk_kec) periode "
        "2025 belum bisa diterima:\n"
    )
    assert "nilai 'dua ribu' bukan angka (baris 7 kolom 'Nilai (jiwa)')" in reply.text
    assert f"1 wilayah tanpa nilai: {places[2][1]}" in reply.text  # rows 4 and 5: both sexes
    assert (
        f"1 nilai negatif untuk jumlah yang tidak bisa negatif (misalnya {places[1][1]}: -5)"
        in (reply.text)
    )
    assert reply.text.endswith("Perbaiki lalu kirim lagi berkasnya; registri tidak diubah.")
    assert notices(registry) == []
    assert cells(registry, "penduduk_kec", "2025") == {}


async def test_negative_counts_and_another_period_are_refused(
    bot: Runtime, registry: Path, tmp_path: Path
) -> None:
    places = kecamatan()
    rows = [[c, n, 2023, s, -1 if i == 0 else 10] for i, (c, n) in enumerate(places) for s in SEXES]
    header = ["Kode Wilayah", "Kecamatan", "Tahun", "Jenis Kelamin", "Jumlah"]
    own = csv_file(tmp_path / "data-kami.csv", header, rows).read_bytes()

    reply = await send(bot, registry, "Agus Setiawan", "penduduk_kec", file=("data.csv", own))

    assert "periode 2023 bukan periode yang ditunggu (2025)" in reply.text
    assert "2 nilai negatif untuk jumlah yang tidak bisa negatif" in reply.text  # both sexes
    assert notices(registry) == []


async def test_a_file_without_a_dataset_a_broken_one_and_anothers_are_answered(
    bot: Runtime, registry: Path
) -> None:
    unnamed = await send(bot, registry, "Agus Setiawan", file=("data.csv", b"a,b\n1,2\n"))
    broken = await send(
        bot, registry, "Agus Setiawan", "penduduk_kec", file=("x.xlsx", b"PK\x03\x04broken")
    )
    other = await send(bot, registry, "Nur Aini", "penduduk_kec", file=("x.csv", b"a,b\n1,2\n"))

    async def fetch() -> bytes:
        return b"a\n1\n"

    public = await bot.dispatcher.handle(
        Incoming(CHAT_ID, 77, file=IncomingFile("x.csv", 4, fetch)), NOW
    )

    assert unnamed.text.startswith("Berkas “data.csv” diterima, tetapi untuk dataset yang mana?")
    assert "penduduk_kec" in unnamed.text and "padi_kec" in unnamed.text
    assert "berkas XLSX rusak atau tidak lengkap" in broken.text
    assert other.text.startswith("Dataset “Jumlah Penduduk per Kecamatan” milik Badan")
    assert [r.text for r in public] == [texts("id").t("file_not_read", name="x.csv")]
    assert notices(registry) == []


async def test_a_closed_datasets_title_stays_unknown_to_another_opd(
    bot: Runtime, registry: Path
) -> None:
    sql(registry, "UPDATE datasets SET classification = 'tertutup' WHERE code = 'penduduk_kec'")

    asked = await send(bot, registry, "Nur Aini", "/kirim penduduk_kec")
    sent = await send(bot, registry, "Nur Aini", "penduduk_kec", file=("x.csv", b"a,b\n1,2\n"))
    own = await send(bot, registry, "Agus Setiawan", "/kirim penduduk_kec")

    for reply in (asked, sent):
        assert reply.text.startswith("Dataset dengan kode “penduduk_kec” tidak ada")
        assert "Jumlah Penduduk per Kecamatan" not in reply.text
    assert own.attachment is not None  # their own OPD's, whatever its classification


async def test_unlikely_values_wait_for_the_liaisons_note_and_reach_the_walidata_with_it(
    bot: Runtime, registry: Path
) -> None:
    places = kecamatan()

    def value(row: int, _: int) -> Any:  # 2024 held 1000 + region for each sex
        return {0: 0, 3: 5000}.get(row, 1000 + row // 2)

    content, _ = fill(await template(bot, registry), value)
    first = await send(bot, registry, "Agus Setiawan", file=("penduduk.xlsx", content))
    noted = await send(
        bot,
        registry,
        "Agus Setiawan",
        "penduduk_kec benar, ada pemekaran",
        file=("penduduk.xlsx", content),
    )

    assert first.text.startswith(
        "Berkas “penduduk.xlsx” untuk “Jumlah Penduduk per Kecamatan” (penduduk_kec) periode "
        "2025 terbaca tanpa masalah, tetapi nilai berikut perlu dipastikan:\n"
        f"• {places[0][1]}, Laki-laki: 0 (2024: 1.000), turun ke 0\n"
        f"• {places[1][1]}, Perempuan: 5.000 (2024: 1.001), naik 5,0 kali lipat\n"
    )
    assert noted.text.startswith("Terima kasih, berkas “penduduk.xlsx” terbaca tanpa masalah")
    ((to, text, attached, _), _chart) = notices(registry)
    assert (to, attached) == ("Andi Prasetyo", content)
    assert f"• {places[0][1]}, Laki-laki: 0 (2024: 1.000), turun ke 0" in text
    assert "Catatan pengirim: benar, ada pemekaran" in text


# --- the walidata's decision ------------------------------------------------------------------


def second_walidata(database: Path) -> None:
    sql(
        database,
        "INSERT INTO people (name, active, created_at) VALUES ('Dewi Lestari', 1, '2026-01-01')",
    )
    sql(
        database,
        "INSERT INTO person_roles (person_id, role) "
        "SELECT id, 'walidata' FROM people WHERE name = 'Dewi Lestari'",
    )


async def submitted(bot: Runtime, registry: Path) -> tuple[bytes, list[str]]:
    """A filled template sent by the liaison: its content and the walidata's buttons."""
    content, _ = fill(await template(bot, registry), lambda row, _: 2000 + row)
    reply = await send(bot, registry, "Agus Setiawan", file=("penduduk.xlsx", content))
    assert reply.text.startswith("Terima kasih"), reply.text
    (first, *_) = [buttons for to, *_, buttons in outbox(registry) if to == "Andi Prasetyo"]
    return content, first


async def test_an_accepted_file_is_in_the_registry_and_answers_at_once(
    bot: Runtime, registry: Path
) -> None:
    second_walidata(registry)
    places = kecamatan()
    _, buttons = await submitted(bot, registry)
    accept, give_back = buttons
    assert accept.startswith("v:ok:") and give_back.startswith("v:back:")
    assert {to for to, *_ in outbox(registry)} == {"Andi Prasetyo", "Dewi Lestari"}

    reply = await send(bot, registry, "Andi Prasetyo", data=accept)
    again = await send(bot, registry, "Dewi Lestari", data=accept)
    answer = await send(
        bot, registry, "Sri Wahyuni", f"penduduk perempuan kecamatan {places[0][1]} 2025"
    )

    assert reply.text == (
        "Data “Jumlah Penduduk per Kecamatan” periode 2025 dimuat ke registri: "
        f"{3 * len(places)} nilai baru, 0 berubah. Pengirim dan walidata lain diberi tahu."
    )
    assert again.text == (
        "Berkas data “Jumlah Penduduk per Kecamatan” sudah diterima oleh Andi Prasetyo."
    )
    assert (
        cells(registry, "penduduk_kec", "2025")[
            ("penduduk_kec", places[0][0], "jenis_kelamin=perempuan")
        ]
        == 2001
    )
    assert sql(registry, "SELECT latest_period FROM datasets WHERE code = 'penduduk_kec'") == [
        ("2025",)
    ]
    assert "2.001" in answer.text
    told = {to: text for to, text, *_ in outbox(registry)[2:]}
    assert told["Agus Setiawan"].startswith(
        "✅ Data “Jumlah Penduduk per Kecamatan” (penduduk_kec)"
    )
    assert told["Dewi Lestari"].startswith("Data “Jumlah Penduduk per Kecamatan”")
    assert "sudah diterima Andi Prasetyo" in told["Dewi Lestari"]
    assert [a for (a,) in sql(registry, "SELECT action FROM audit_log ORDER BY id")][-2:] == [
        "submission_received",
        "submission_accepted",
    ]


async def test_two_walidata_pressing_at_once_make_one_decision(
    bot: Runtime, registry: Path
) -> None:
    second_walidata(registry)
    _, (accept, give_back) = await submitted(bot, registry)

    replies = await asyncio.gather(
        send(bot, registry, "Andi Prasetyo", data=accept),
        send(bot, registry, "Dewi Lestari", data=f"{give_back}:1"),
    )

    statuses = sql(registry, "SELECT status FROM submissions")
    assert statuses in ([("accepted",)], [("returned",)])
    decided = [r for r in replies if r.text.startswith(("Data “Jumlah", "Data “J"))]
    assert len(decided) == 1, [r.text for r in replies]
    loaded = cells(registry, "penduduk_kec", "2025")
    assert bool(loaded) == (statuses == [("accepted",)])


async def test_a_returned_file_tells_the_liaison_why_and_changes_nothing(
    bot: Runtime, registry: Path
) -> None:
    _, (accept, give_back) = await submitted(bot, registry)

    asked = await send(bot, registry, "Andi Prasetyo", data=give_back)
    reasons = [b.data for row in asked.buttons for b in row]
    returned = await send(bot, registry, "Andi Prasetyo", data=reasons[1] or "")
    late = await send(bot, registry, "Andi Prasetyo", data=accept)
    liaison = await send(bot, registry, "Agus Setiawan", data=accept)

    assert asked.text.startswith("Mengapa data “Jumlah Penduduk per Kecamatan” dikembalikan?")
    assert returned.text == (
        "Data “Jumlah Penduduk per Kecamatan” dikembalikan kepada pengirimnya dengan alasan: "
        "Data belum lengkap."
    )
    assert late.text.endswith("sudah dikembalikan oleh Andi Prasetyo.")
    assert liaison.text == "Tombol ini hanya untuk walidata."
    (told,) = [text for to, text, *_ in outbox(registry) if to == "Agus Setiawan"]
    assert told.startswith("↩️ Data “Jumlah Penduduk per Kecamatan” (penduduk_kec) periode 2025")
    assert "Data belum lengkap. Perbaiki lalu kirim lagi" in told
    assert cells(registry, "penduduk_kec", "2025") == {}


async def test_a_file_waiting_for_the_walidata_stops_its_reminders_until_it_is_returned(
    bot: Runtime, registry: Path
) -> None:
    tuesday = datetime(2026, 11, 24, 9, 0, tzinfo=ZoneInfo("Asia/Jakarta"))
    settings = ReminderSettings(ZoneInfo("Asia/Jakarta"))

    async def chased() -> set[str]:
        notices = await plan_at(bot.uow, tuesday, settings)
        return {i.code for n in notices if n.person.name == "Agus Setiawan" for i in n.items}

    before = await chased()
    _, (_, give_back) = await submitted(bot, registry)
    waiting = await chased()
    await send(bot, registry, "Andi Prasetyo", data=f"{give_back}:0")
    returned = await chased()

    assert {"penduduk_kec", "padi_kec"} <= before
    assert "penduduk_kec" not in waiting and "padi_kec" in waiting
    assert "penduduk_kec" in returned


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("data.pdf", b"%PDF-1.7\n...", "PDF"),
        ("data.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1000, "Excel lama (.xls)"),
        ("data.xlsx", b"PK\x03\x04" + b"\x00" * 100, "berkas XLSX rusak"),
        ("data.csv", b"", "berkas kosong"),
    ],
    ids=["pdf", "xls", "broken-zip", "empty"],
)
async def test_a_file_that_is_no_table_is_refused_saying_what_to_send(
    bot: Runtime, registry: Path, name: str, content: bytes, says: str
) -> None:
    reply = await send(bot, registry, "Agus Setiawan", "penduduk_kec", file=(name, content))

    assert says in reply.text and reply.text.endswith("registri tidak diubah.")
    assert notices(registry) == [] and sql(registry, "SELECT * FROM submissions") == []


async def test_formulas_are_never_evaluated_and_an_oversized_file_is_never_fetched(
    bot: Runtime, registry: Path
) -> None:
    content, _ = fill(await template(bot, registry), lambda row, _: f"={1000 + row}*2")

    async def must_not_fetch() -> bytes:
        raise AssertionError("a file over the limit was downloaded")

    formulas = await send(bot, registry, "Agus Setiawan", file=("penduduk.xlsx", content))
    huge = await bot.dispatcher.handle(
        Incoming(
            CHAT_ID,
            None,
            person_id=person(registry, "Agus Setiawan"),
            file=IncomingFile("besar.xlsx", 60 * 1024 * 1024, must_not_fetch),
        ),
        NOW,
    )

    assert "rumus tanpa nilai yang sudah dihitung" in formulas.text
    assert [r.text for r in huge] == [
        texts("id").t("file_too_large", name="besar.xlsx", size=60.0, limit=10)
    ]
    assert notices(registry) == [] and sql(registry, "SELECT * FROM submissions") == []


# --- the walidata's desk on the command line --------------------------------------------------


def with_empty_rows(content: bytes, count: int) -> bytes:
    """The workbook with `count` formatted rows without a value below its table, as a sheet
    formatted down to its last row is saved."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            part = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                start = part.count(b"<row ") + 1
                rows = "".join(
                    f'<row r="{n}" s="1" customFormat="1" ht="15"/>'
                    for n in range(start + 10, start + 10 + count)
                )
                part = part.replace(b"</sheetData>", rows.encode() + b"</sheetData>")
            target.writestr(item, part, zipfile.ZIP_DEFLATED)
    return out.getvalue()


async def test_a_million_empty_formatted_rows_cost_nothing_and_count_for_nothing(
    bot: Runtime, registry: Path
) -> None:
    places = kecamatan()
    content, _ = fill(await template(bot, registry), lambda row, _: 2000 + row)
    formatted = with_empty_rows(content, 1_000_000)
    assert len(formatted) < 10 * 1024 * 1024  # it fits what a chat may send

    reply = await send(bot, registry, "Agus Setiawan", file=("penduduk.xlsx", formatted))

    assert f"{len(places)} wilayah, {2 * len(places)} baris," in reply.text
    assert reply.text.startswith("Terima kasih, berkas “penduduk.xlsx” terbaca tanpa masalah")
    assert len(sql(registry, "SELECT id FROM submissions")) == 1


async def test_the_walidata_decides_from_the_command_line(
    bot: Runtime, registry: Path, tmp_path: Path
) -> None:
    content, _ = fill(await template(bot, registry), lambda row, _: 2000 + row)
    (tmp_path / "penduduk.xlsx").write_bytes(content)

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return run_cli(*args, cwd=registry.parent, database=registry)

    def desk(*args: str) -> subprocess.CompletedProcess[str]:
        return cli("submissions", *args)

    file = str(tmp_path / "penduduk.xlsx")
    sent = cli("import", "data", file, "--dataset", "penduduk_kec", "--submit", "Agus Setiawan")
    assert sent.stdout.startswith("Terima kasih, berkas “penduduk.xlsx” terbaca"), sent.stderr
    (submission,) = sql(registry, "SELECT id FROM submissions")

    listed = desk("list")
    shown = desk("show", str(submission[0]))
    liaison = desk("accept", str(submission[0]), "--as", "Agus Setiawan")
    bad_reason = desk("return", str(submission[0]), "--reason", "9", "--as", "walidata")
    accepted = desk("accept", str(submission[0]), "--as", "Andi Prasetyo")
    again = desk("return", str(submission[0]), "--reason", "1", "--as", "Andi Prasetyo")
    missing = desk("show", "999")

    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.startswith(f"#{submission[0]}  penduduk_kec 2025  pending  from Agus")
    saved = shown.stdout.splitlines()[2].removeprefix("file: ")
    assert (registry.parent / saved).read_bytes()[:2] == b"PK"
    assert_one_line_error(liaison, "only a walidata")
    assert_one_line_error(bad_reason, "--reason is 1 to 4")
    assert accepted.stdout.startswith("Data “Jumlah Penduduk per Kecamatan” periode 2025 dimuat")
    assert again.stdout.strip().endswith("sudah diterima oleh Andi Prasetyo.")
    assert_one_line_error(missing, "no submission #999")
    assert sql(registry, "SELECT status FROM submissions") == [("accepted",)]


async def test_the_walidata_is_reminded_of_waiting_files_once_a_working_day(
    bot: Runtime, registry: Path
) -> None:
    wib = ZoneInfo("Asia/Jakarta")
    settings = ReminderSettings(wib)
    _, (accept, _) = await submitted(bot, registry)  # Sunday 22 November, 10:00 WIB

    def recalls() -> list[str]:
        return [text for to, text, *_ in outbox(registry) if text.startswith("📋")]

    await run_tick(bot.uow, datetime(2026, 11, 22, 13, 0, tzinfo=wib), settings)  # Sunday
    sunday = recalls()
    await run_tick(bot.uow, datetime(2026, 11, 23, 9, 0, tzinfo=wib), settings)
    await run_tick(bot.uow, datetime(2026, 11, 23, 11, 0, tzinfo=wib), settings)
    monday = recalls()
    await send(bot, registry, "Andi Prasetyo", data=accept)
    await run_tick(bot.uow, datetime(2026, 11, 24, 9, 0, tzinfo=wib), settings)

    assert sunday == []
    assert monday == [
        "📋 1 berkas data dari penghubung data menunggu pemeriksaan Anda; pengingat "
        "penghubungnya ditahan selama berkas menunggu:\n"
        "• penduduk_kec periode 2025 dari Agus Setiawan, 1 hari lalu\n"
        "Tombol Terima dan Kembalikan ada pada pesan pengiriman masing-masing (atau: satudata "
        "submissions list)."
    ]
    assert recalls() == monday  # decided: nothing to recall on Tuesday


async def test_a_correction_of_a_published_period_keeps_the_old_value_and_answers_say_revised(
    bot: Runtime, registry: Path, tmp_path: Path
) -> None:
    places = kecamatan()
    _, (accept, _) = await submitted(bot, registry)  # 2025: 2000 + row
    await send(bot, registry, "Andi Prasetyo", data=accept)
    rows = [
        [c, n, 2025, s, 2000 + 2 * i + j + (7 if (i, j) == (0, 1) else 0)]
        for i, (c, n) in enumerate(places)
        for j, s in enumerate(SEXES)
    ]
    header = ["Kode Wilayah", "Kecamatan", "Tahun", "Jenis Kelamin", "Jumlah"]
    fixed = csv_file(tmp_path / "koreksi.csv", header, rows).read_bytes()

    sent = await send(bot, registry, "Agus Setiawan", "penduduk_kec", file=("koreksi.csv", fixed))
    correction = [b for *_, b in outbox(registry) if b and b[0].startswith("v:ok:")][-1][0]
    accepted = await send(bot, registry, "Andi Prasetyo", data=correction)
    answer = await send(
        bot, registry, "Sri Wahyuni", f"penduduk perempuan kecamatan {places[0][1]} 2025"
    )

    assert sent.text.startswith("Terima kasih, berkas “koreksi.csv” terbaca"), sent.text
    assert "periode 2025" in sent.text
    assert "(2 nilai dikoreksi; nilai lamanya disimpan" in accepted.text  # the cell, its total
    assert f"{places[0][1]}" in answer.text and "2.008 jiwa (direvisi)" in answer.text
    assert sql(
        registry,
        "SELECT r.value, r.status FROM observation_revisions r"
        " JOIN observations o ON o.id = r.observation_id WHERE o.categories <> ''",
    ) == [(2001.0, "final")]


async def test_a_written_reason_is_the_walidatas_next_message_and_reaches_the_liaison(
    bot: Runtime, registry: Path
) -> None:
    _, (_, give_back) = await submitted(bot, registry)
    asked = await send(bot, registry, "Andi Prasetyo", data=give_back)
    write = [b.data for row in asked.buttons for b in row][-1] or ""

    prompt = await send(bot, registry, "Andi Prasetyo", data=write)
    returned = await send(bot, registry, "Andi Prasetyo", "Angka  Kecamatan Tutur\nbelum sesuai SK")
    question = await send(bot, registry, "Andi Prasetyo", "IPM Kota Batu 2023")

    assert prompt.text.startswith("Tulis alasan data “Jumlah Penduduk per Kecamatan” dikembalikan")
    assert returned.text.endswith("dengan alasan: Angka Kecamatan Tutur belum sesuai SK.")
    assert "Kota Batu" in question.text  # the next message is a question again
    (told,) = [text for to, text, *_ in outbox(registry) if to == "Agus Setiawan"]
    assert ": Angka Kecamatan Tutur belum sesuai SK. Perbaiki lalu kirim lagi" in told


async def test_a_published_period_gets_a_template_to_correct_it_and_others_are_explained(
    bot: Runtime, registry: Path
) -> None:
    correct = await send(bot, registry, "Agus Setiawan", "/kirim penduduk_kec 2024")
    future = await send(bot, registry, "Agus Setiawan", "/kirim penduduk_kec 2031")
    nonsense = await send(bot, registry, "Agus Setiawan", "/kirim penduduk_kec kemarin")

    assert correct.attachment is not None
    assert correct.attachment.filename == "templat-penduduk_kec-2024.xlsx"
    assert template_of(correct.attachment.content) == ("penduduk_kec", "2024")
    for reply in (future, nonsense):
        assert reply.attachment is None
        assert "yang ditunggu 2025" in reply.text and "(2024)" in reply.text


async def test_a_reason_not_written_within_half_an_hour_leaves_the_next_message_a_question(
    bot: Runtime, registry: Path
) -> None:
    _, (_, give_back) = await submitted(bot, registry)
    asked = await send(bot, registry, "Andi Prasetyo", data=give_back)
    await send(
        bot, registry, "Andi Prasetyo", data=[b.data for r in asked.buttons for b in r][-1] or ""
    )

    later = Incoming(
        CHAT_ID, None, text="IPM Kota Batu 2023", person_id=person(registry, "Andi Prasetyo")
    )
    (question,) = await bot.dispatcher.handle(later, NOW + timedelta(minutes=31))

    assert "Kota Batu" in question.text
    assert sql(registry, "SELECT status FROM submissions") == [("pending",)]
