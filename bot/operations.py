"""Operator commands: imports, reminder plans and ticks, sending the outbox."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

from bot.botapi import BotApiDeliverer
from bot.config import Settings
from bot.wiring import prepare_database, reminder_settings
from reminders.delivery import OutboxSender
from reminders.tick import plan_at, run_tick
from storage import db
from storage.importing import ImportFileError, ImportReport, import_datasets, import_people
from storage.uow import UnitOfWorkFactory


class OperationError(Exception):
    """A problem the operator can fix; printed as one line by the CLI."""


@asynccontextmanager
async def prepared(settings: Settings, now: datetime) -> AsyncIterator[UnitOfWorkFactory]:
    """The configured database, migrated (and seeded when empty), closed afterwards."""
    engine = db.create_engine(settings.database_url)
    try:
        await prepare_database(engine, now)
        yield UnitOfWorkFactory(engine)
    finally:
        await engine.dispose()


def parse_moment(text: str, zone: ZoneInfo) -> datetime:
    """`2026-03-24 09:00` (deployment time) or with an explicit offset."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise OperationError(
            f"--at {text!r}: write a date and time such as 2026-03-24T09:00 or "
            "2026-03-24T09:00+07:00"
        ) from None
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment


async def run_import(
    settings: Settings, kind: str, path: Path, now: datetime, dry_run: bool
) -> tuple[int, str]:
    importer = import_datasets if kind == "daftar-data" else import_people
    async with prepared(settings, now) as uow:
        try:
            report = await importer(uow, path, now, dry_run=dry_run)
        except ImportFileError as error:
            raise OperationError(str(error)) from None
    return (0 if report.ok else 1), import_summary(report, dry_run)


def import_summary(report: ImportReport, dry_run: bool) -> str:
    if report.errors:
        lines = [f"Impor dibatalkan: {len(report.errors)} kesalahan, tidak ada yang diubah."]
        lines += [f"  baris {row}: {message}" for row, message in report.errors]
        return "\n".join(lines)
    if dry_run:
        return "Pemeriksaan selesai: tidak ada kesalahan (tidak ada yang diubah)."
    lines = [
        f"Impor selesai: {report.created} baru, {report.updated} diperbarui, "
        f"{report.unchanged} tetap."
    ]
    if report.periods_arrived:
        lines.append(f"  {report.periods_arrived} dataset punya periode baru.")
    if report.new_opds:
        lines.append(f"  OPD baru: {', '.join(report.new_opds)}")
    return "\n".join(lines)


async def reminders_plan(settings: Settings, at: datetime, as_json: bool) -> str:
    async with prepared(settings, at) as uow:
        notices = await plan_at(uow, at, reminder_settings(settings))
    if as_json:
        return json.dumps([n.as_json() for n in notices], ensure_ascii=False, indent=2)
    if not notices:
        return f"Tidak ada pengingat yang akan dikirim pada {at.isoformat()}."
    lines = [f"{len(notices)} pesan pada {at.isoformat()}:"]
    for notice in notices:
        data = notice.as_json()
        lines.append(f"→ {data['recipient']} ({data['role']}, {data['opd'] or '-'})")
        lines += [
            f"    {i['step']:>6}  {i['dataset']} {i['period']} jatuh tempo {i['due_date']}"
            for i in data["items"]
        ]
    return "\n".join(lines)


async def reminders_tick(settings: Settings, at: datetime) -> str:
    async with prepared(settings, at) as uow:
        report = await run_tick(uow, at, reminder_settings(settings))
    return (
        f"{report.datasets_examined} dataset diperiksa, {report.messages} pesan "
        f"({report.items} butir) masuk antrean."
    )


async def outbox_send(settings: Settings, now: datetime) -> str:
    """Send everything due in the outbox once, then exit (cron-friendly)."""
    if not settings.telegram_token:
        raise OperationError("TELEGRAM_BOT_TOKEN is not set: there is nothing to send with")
    async with prepared(settings, now) as uow, httpx.AsyncClient(timeout=10) as client:
        deliverer = BotApiDeliverer(settings.telegram_api_base_url, settings.telegram_token, client)
        report = await OutboxSender(uow, deliverer).drain_all()
    return (
        f"terkirim {report.sent} · dicoba ulang {report.retried} · "
        f"tidak terkirim {report.undeliverable}"
    )
