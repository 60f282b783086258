"""Importing the spreadsheets walidata already keep: Daftar Data and the list of people.

All or nothing: every row is checked first, each problem is reported with its row number,
and a file with any error changes nothing.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from rapidfuzz import fuzz, process

from domain.periods import parse_period
from domain.terms import Classification, Periodicity, Role
from storage.fulfilment import period_arrived
from storage.models import Dataset, Indicator, Opd, Person, PersonRole
from storage.people import OPD_ROLES, ROLES, replan_for
from storage.tables.files import decode_text
from storage.tables.limits import MB, FileLimits, TableFileError, size_text
from storage.tables.xlsx import read_workbook
from storage.uow import UnitOfWork, UnitOfWorkFactory
from texts.i18n import LANGUAGES

# Each periodicity by its own word, and by the English words and spellings spreadsheets use.
PERIODICITIES: dict[str, Periodicity] = {p.value: p for p in Periodicity} | {
    "annual": Periodicity.TAHUNAN,
    "yearly": Periodicity.TAHUNAN,
    "semester": Periodicity.SEMESTERAN,
    "quarterly": Periodicity.TRIWULANAN,
    "monthly": Periodicity.BULANAN,
    "weekly": Periodicity.MINGGUAN,
    "daily": Periodicity.HARIAN,
    "sewaktu waktu": Periodicity.SEWAKTU_WAKTU,
    "ad hoc": Periodicity.SEWAKTU_WAKTU,
}
CLASSIFICATIONS: dict[str, Classification] = {c.value: c for c in Classification}
DATASET_COLUMNS = ("kode", "judul", "opd", "periodisitas", "klasifikasi", "periode_terakhir")
PEOPLE_COLUMNS = ("nama", "peran", "opd", "telegram_id")
# The optional `bahasa` column of the list of people: each language by its code and its names.
LANGUAGE_WORDS: dict[str, str] = {code: code for code in LANGUAGES} | {
    "indonesia": "id",
    "bahasa indonesia": "id",
    "inggris": "en",
    "bahasa inggris": "en",
    "english": "en",
}
CODE = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")
MAX_ROWS = 50_000
# A header and MAX_ROWS rows; a list has a few dozen columns at most.
LIMITS = FileLimits(max_bytes=20 * MB, max_rows=MAX_ROWS + 1, max_columns=200)
EXTRA = "\0extra"  # cells beyond the header: usually an unquoted comma in a CSV value
ROW = "\0row"  # the row's number in the file


class ImportFileError(Exception):
    """The file cannot be read at all (missing, broken, wrong columns)."""


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    periods_arrived: int = 0
    new_opds: list[str] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def read_table(path: Path, required: tuple[str, ...]) -> list[dict[str, str]]:
    """Rows of a CSV (comma or semicolon) or XLSX file, keyed by normalised header."""
    if not path.is_file():
        raise ImportFileError(f"file {path} tidak ditemukan")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        rows = _xlsx_rows(path)
    elif path.suffix.lower() in (".csv", ".txt"):
        rows = _csv_rows(path)
    else:
        raise ImportFileError(
            f"format {path.suffix or '(tanpa ekstensi)'} tidak didukung; gunakan .csv atau .xlsx"
        )
    if not rows or not any(rows[0]):
        raise ImportFileError("file kosong: baris pertama harus berisi judul kolom")
    header = [_column(cell) for cell in rows[0]]
    missing = [name for name in required if name not in header]
    if missing:
        raise ImportFileError(
            f"kolom wajib tidak ada: {', '.join(missing)} (kolom yang ada: "
            f"{', '.join(h for h in header if h) or '-'})"
        )
    if len(rows) - 1 > MAX_ROWS:
        raise ImportFileError(f"terlalu banyak baris ({len(rows) - 1}); maksimal {MAX_ROWS}")
    table = []
    for number, values in enumerate(rows[1:], start=2):  # numbered as the spreadsheet shows
        cells = [str(v).strip() if v is not None else "" for v in values]
        if not any(cells):
            continue  # a blank row keeps its number for the rows after it
        row = {name: cells[i] if i < len(cells) else "" for i, name in enumerate(header)}
        row[EXTRA] = ", ".join(c for c in cells[len(header) :] if c)
        row[ROW] = str(number)
        table.append(row)
    return table


def _csv_rows(path: Path) -> list[list[str]]:
    try:
        text = decode_text(_content(path))
    except TableFileError as error:
        raise ImportFileError(str(error)) from None
    first = text.splitlines()[0] if text.strip() else ""
    delimiter = ";" if first.count(";") > first.count(",") else ","
    # One row past the limit is enough to refuse the file.
    return list(
        itertools.islice(csv.reader(io.StringIO(text), delimiter=delimiter), LIMITS.max_rows + 1)
    )


def _xlsx_rows(path: Path) -> list[list[str]]:
    """The first sheet, read by the bounded reader: a sheet formatted down to its last row
    or column is refused by its limits, not read cell by cell."""
    try:
        sheets = read_workbook(_content(path), LIMITS)
    except TableFileError as error:
        raise ImportFileError(str(error)) from None
    if not sheets:
        return []
    return [["" if v is None else _cell(v) for v in row] for row in sheets[0].rows]


def _content(path: Path) -> bytes:
    if path.stat().st_size > LIMITS.max_bytes:
        raise ImportFileError(
            f"file lebih dari {size_text(LIMITS.max_bytes)}; pecah menjadi beberapa file"
        )
    return path.read_bytes()


def _cell(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # 2025.0 from a numeric cell is the period 2025
    if isinstance(value, datetime):
        return value.date().isoformat()  # Excel turns a typed 2025-07 into 2025-07-01
    return str(value)


def _column(name: object) -> str:
    return re.sub(r"\s+", "_", str(name or "").strip().lower())


# -- Daftar Data ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DatasetRow:
    row: int
    code: str
    title: str
    opd: str
    periodicity: Periodicity
    classification: Classification
    latest_period: str | None
    unit: str
    due_months: int | None
    due_day: int | None


async def import_datasets(
    uow_factory: UnitOfWorkFactory, path: Path, now: datetime, *, dry_run: bool = False
) -> ImportReport:
    table = read_table(path, DATASET_COLUMNS)
    report = ImportReport()
    _shape_errors(table, report)
    async with uow_factory() as uow:
        opds = list(await uow.opds.all())
        parsed = [_dataset_row(number, row, opds, report) for number, row in _numbered(table)]
        _duplicates([(p.row, p.code.casefold()) for p in parsed if p], "kode", report)
        if report.errors or dry_run:
            return report
        opd_ids = await _ensure_opds(uow, [p.opd for p in parsed if p], opds, report)
        for item in parsed:
            assert item is not None
            await _apply_dataset(uow, item, opd_ids[item.opd.casefold()], now, report)
        _audit(uow, "datasets_imported", path, now, report)
        await uow.commit()
    return report


def _dataset_row(
    number: int, row: dict[str, str], opds: list[Opd], report: ImportReport
) -> DatasetRow | None:
    errors: list[str] = []
    code = row["kode"].lower()  # codes are lower case everywhere: "TPT" is "tpt"
    if not CODE.match(code):
        errors.append("kode wajib diisi, hanya huruf, angka, titik, garis bawah atau tanda minus")
    title = row["judul"]
    if not title or len(title) > 300:
        errors.append("judul wajib diisi (maksimal 300 karakter)")
    periodicity = PERIODICITIES.get(row["periodisitas"].strip().lower())
    if periodicity is None:
        errors.append(
            f"periodisitas {row['periodisitas']!r} tidak dikenal; gunakan salah satu: "
            f"{', '.join(Periodicity)}"
        )
    classification = CLASSIFICATIONS.get(row["klasifikasi"].strip().lower())
    if classification is None:
        *others, last = Classification
        errors.append(
            f"klasifikasi {row['klasifikasi']!r} tidak dikenal; gunakan "
            f"{', '.join(others)} atau {last}"
        )
    opd = row["opd"].strip()
    if not opd:
        errors.append("opd wajib diisi")
    elif (hint := _opd_typo(opd, opds)) is not None:
        errors.append(f"OPD {opd!r} tidak dikenal; maksud Anda {hint!r}?")
    latest = row["periode_terakhir"].strip() or None
    if (
        latest is not None
        and periodicity is Periodicity.BULANAN
        and re.fullmatch(r"\d{4}-\d{2}-01", latest)
    ):
        latest = latest[:7]  # a month that a spreadsheet stored as its first day
    if latest is not None:
        try:
            period = parse_period(latest)
        except ValueError:
            errors.append(
                f"periode_terakhir {latest!r} tidak dikenali; contoh: 2025, 2025-S1, "
                "2025-Q3, 2025-07, 2025-W14, 2025-07-31"
            )
        else:
            latest = period.code
            if periodicity not in (None, Periodicity.SEWAKTU_WAKTU) and period.kind != periodicity:
                errors.append(f"periode_terakhir {latest} tidak sesuai periodisitas {periodicity}")
    due_months = _int(row.get("bulan_jatuh_tempo", ""), 0, 24, "bulan_jatuh_tempo", errors)
    due_day = _int(row.get("hari_jatuh_tempo", ""), 1, 31, "hari_jatuh_tempo", errors)
    for message in errors:
        report.errors.append((number, message))
    if errors:
        return None
    assert periodicity is not None and classification is not None
    return DatasetRow(
        number,
        code,
        title,
        opd,
        periodicity,
        classification,
        latest,
        row.get("satuan", ""),
        due_months,
        due_day,
    )


async def _apply_dataset(
    uow: UnitOfWork, item: DatasetRow, opd_id: int, now: datetime, report: ImportReport
) -> None:
    dataset = await uow.datasets.by_code(item.code)
    if dataset is None:
        dataset = Dataset(
            code=item.code,
            title=item.title,
            description="",
            opd_id=opd_id,
            periodicity=item.periodicity,
            classification=item.classification,
            unit=item.unit,
            due_months=item.due_months,
            due_day=item.due_day,
            source="",
            keywords="",
            is_headline=True,
            note="",
            latest_period=None,
            next_action_at=None if item.periodicity is Periodicity.SEWAKTU_WAKTU else now,
            indicators=[Indicator(code=item.code, name=item.title, unit=item.unit)],
        )
        uow.session.add(dataset)
        await uow.session.flush()
        report.created += 1
    else:
        fields = {
            "title": item.title,
            "opd_id": opd_id,
            "periodicity": item.periodicity,
            "classification": item.classification,
            "unit": item.unit or dataset.unit,
            "due_months": item.due_months,
            "due_day": item.due_day,
        }
        changed = {k: v for k, v in fields.items() if getattr(dataset, k) != v}
        for key, value in changed.items():
            setattr(dataset, key, value)
        if changed:
            dataset.next_action_at = None if item.periodicity is Periodicity.SEWAKTU_WAKTU else now
        arrived = bool(item.latest_period) and await period_arrived(
            uow, dataset, item.latest_period or "", now
        )
        report.updated += bool(changed)
        report.unchanged += not changed and not arrived
        report.periods_arrived += arrived
        return
    if item.latest_period and await period_arrived(uow, dataset, item.latest_period, now):
        report.periods_arrived += 1


def _opd_typo(name: str, opds: list[Opd]) -> str | None:
    """A close but inexact OPD name is a typo to fix; a far one is a new OPD."""
    if _find_opd(name, opds) is not None:
        return None
    names = [o.name for o in opds] + [o.short_name for o in opds]
    best = process.extractOne(name, names, scorer=fuzz.ratio, score_cutoff=85)
    return best[0] if best else None


def _find_opd(name: str, opds: list[Opd]) -> Opd | None:
    wanted = name.casefold()
    return next(
        (
            o
            for o in opds
            if wanted in (o.code.casefold(), o.name.casefold(), o.short_name.casefold())
        ),
        None,
    )


async def _ensure_opds(
    uow: UnitOfWork, names: list[str], opds: list[Opd], report: ImportReport
) -> dict[str, int]:
    ids: dict[str, int] = {}
    for name in names:
        key = name.casefold()
        if key in ids:
            continue
        opd = _find_opd(name, opds)
        if opd is None:
            code = re.sub(r"[^a-z0-9]+", "-", key).strip("-")[:40] or "opd"
            opd = Opd(code=code, name=name, short_name=name[:60])
            uow.session.add(opd)
            await uow.session.flush()
            opds.append(opd)
            report.new_opds.append(name)
        ids[key] = opd.id
    return ids


# -- people --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonRow:
    row: int
    name: str
    roles: list[Role]
    opd: Opd | None
    telegram_id: int | None
    language: str | None  # None: not given, so a new person has not chosen one


async def import_people(
    uow_factory: UnitOfWorkFactory, path: Path, now: datetime, *, dry_run: bool = False
) -> ImportReport:
    table = read_table(path, PEOPLE_COLUMNS)
    report = ImportReport()
    _shape_errors(table, report)
    async with uow_factory() as uow:
        opds = list(await uow.opds.all())
        people = list(await uow.people.all())
        parsed: list[PersonRow] = []
        for number, row in _numbered(table):
            errors: list[str] = []
            name = row["nama"].strip()
            if not name or len(name) > 120:
                errors.append("nama wajib diisi (maksimal 120 karakter)")
            named = [
                r.strip().lower().replace(" ", "_")
                for r in re.split(r"[,;/]", row["peran"])
                if r.strip()
            ]
            unknown = [r for r in named if r not in ROLES]
            if not named or unknown:
                errors.append(f"peran {row['peran']!r} tidak dikenal; gunakan: {', '.join(ROLES)}")
            opd = _find_opd(row["opd"], opds) if row["opd"].strip() else None
            if row["opd"].strip() and opd is None:
                hint = _opd_typo(row["opd"], opds)
                errors.append(
                    f"OPD {row['opd']!r} tidak dikenal"
                    + (f"; maksud Anda {hint!r}?" if hint else "")
                )
            elif opd is None and OPD_ROLES & set(named):
                errors.append(f"peran {' dan '.join(sorted(OPD_ROLES))} wajib disertai opd")
            telegram_id = _int(row["telegram_id"], 1, 10**15, "telegram_id", errors)
            holder = next(
                (p for p in people if telegram_id and p.telegram_user_id == telegram_id), None
            )
            if holder is not None and holder.name.casefold() != name.casefold():
                errors.append(
                    f"telegram_id {telegram_id} sudah dipakai oleh {holder.name}; "
                    "periksa kembali nomornya"
                )
            language = _language(row.get("bahasa", ""), errors)
            for message in errors:
                report.errors.append((number, message))
            if not errors:
                roles = [Role(r) for r in named]
                parsed.append(PersonRow(number, name, roles, opd, telegram_id, language))
        _duplicates(
            [(p.row, str(p.telegram_id)) for p in parsed if p.telegram_id], "telegram_id", report
        )
        if report.errors or dry_run:
            return report
        touched: list[Person] = []
        for item in parsed:
            if (person := await _apply_person(uow, people, item, now, report)) is not None:
                touched.append(person)
        await replan_for(uow, touched, now)
        _audit(uow, "people_imported", path, now, report)
        await uow.commit()
    return report


async def _apply_person(
    uow: UnitOfWork, people: list[Person], item: PersonRow, now: datetime, report: ImportReport
) -> Person | None:
    """The person the row creates or changes; None when it changes nothing. A person is found
    by Telegram id, else by name; an empty `bahasa` cell keeps the language they have."""
    person = next(
        (p for p in people if item.telegram_id and p.telegram_user_id == item.telegram_id), None
    ) or next((p for p in people if p.name.casefold() == item.name.casefold()), None)
    if person is None:
        person = Person(
            name=item.name,
            created_at=now,
            language=item.language,
            active=True,
            telegram_user_id=item.telegram_id,
            opd_id=item.opd.id if item.opd else None,
            roles=[PersonRole(role=r) for r in item.roles],
        )
        uow.session.add(person)
        people.append(person)
        report.created += 1
        return person
    before = _person_state(person)
    old_opd = person.opd_id
    person.name, person.opd_id = item.name, item.opd.id if item.opd else None
    person.telegram_user_id = item.telegram_id or person.telegram_user_id
    person.language = item.language or person.language
    if set(item.roles) != person.role_names:
        person.roles = [PersonRole(role=r) for r in item.roles]
    if _person_state(person) == before:
        report.unchanged += 1
        return None
    report.updated += 1
    if old_opd is not None and old_opd != person.opd_id:
        await uow.reminders.replan({old_opd}, now)
    return person


def _person_state(person: Person) -> tuple[object, ...]:
    """What an import may change about a person."""
    return (person.name, person.telegram_user_id, person.opd_id, person.role_names, person.language)


def _audit(uow: UnitOfWork, action: str, path: Path, now: datetime, report: ImportReport) -> None:
    """Imports change classifications and roles: an administrative action like any other."""
    uow.audit.record(
        at=now,
        action=action,
        detail={
            "file": path.name,
            "via": "cli",
            "created": report.created,
            "updated": report.updated,
        },
    )


# -- shared checks -------------------------------------------------------------------------------


def _numbered(table: list[dict[str, str]]) -> list[tuple[int, dict[str, str]]]:
    """Rows with their numbers; rows with more cells than the header are left out and
    reported by `_shape_errors`."""
    return [(int(row[ROW]), row) for row in table if not row[EXTRA]]


def _shape_errors(table: list[dict[str, str]], report: ImportReport) -> None:
    for row in table:
        if row[EXTRA]:
            report.errors.append(
                (
                    int(row[ROW]),
                    f"lebih banyak kolom daripada judul kolom ({row[EXTRA]!r}"
                    " berlebih); beri tanda kutip pada nilai yang memuat koma",
                )
            )


def _duplicates(keys: list[tuple[int, str]], column: str, report: ImportReport) -> None:
    """(row number, key) pairs: a key seen before is reported with both rows."""
    seen: dict[str, int] = {}
    for number, key in keys:
        if key in seen:
            report.errors.append((number, f"{column} {key!r} sudah ada di baris {seen[key]}"))
        else:
            seen[key] = number


def _language(text: str, errors: list[str]) -> str | None:
    """A language code from a `bahasa` cell; None for an empty cell (or no such column)."""
    given = " ".join(text.split()).lower()
    if not given:
        return None
    if given not in LANGUAGE_WORDS:
        errors.append(f"bahasa {text!r} tidak dikenal; gunakan {' atau '.join(LANGUAGES)}")
    return LANGUAGE_WORDS.get(given)


def _int(text: str, low: int, high: int, column: str, errors: list[str]) -> int | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        value = int(float(text)) if re.fullmatch(r"\d+(\.0+)?", text) else int(text)
    except ValueError:
        errors.append(f"{column} {text!r} harus berupa angka")
        return None
    if not low <= value <= high:
        errors.append(f"{column} {value} di luar rentang {low}–{high}")
        return None
    return value
