"""Operator commands: imports, reminder plans and ticks, the weekly digest, sending the outbox,
portal sync."""

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
from bot.progress import ProgressBar
from bot.wiring import (
    digest_place,
    portal_config,
    prepare_database,
    reminder_settings,
    send_budget,
    wants_demo,
)
from domain.calendar import WorkCalendar
from domain.telegram_limits import fit_with_file
from handlers import verified_table
from reminders.delivery import OutboxSender
from reminders.tick import plan_at, run_tick
from reports.digest import build_digest
from reports.portal_sync import render_sync_report
from reports.weekly_digest import DigestOutcome, run_weekly_digest
from storage import db
from storage.importing import ImportFileError, ImportReport, import_datasets, import_people
from storage.portal.push import PortalPusher
from storage.portal.sync import PortalSyncer
from storage.region_codes import kemendagri_from_bps
from storage.uow import UnitOfWorkFactory
from storage.value_import import ValueImportReport, import_values


class OperationError(Exception):
    """A problem the operator can fix; printed as one line by the CLI."""


@asynccontextmanager
async def prepared(
    settings: Settings, now: datetime, *, demo: bool | None = None
) -> AsyncIterator[UnitOfWorkFactory]:
    """The configured database, migrated (and given the demo registry when it has never held
    anything and `demo`, by default unless a portal is configured), closed afterwards."""
    engine = db.create_engine(settings.database_url)
    try:
        await prepare_database(engine, now, demo=wants_demo(settings) if demo is None else demo)
        yield UnitOfWorkFactory(engine)
    finally:
        await engine.dispose()


def parse_moment(text: str, zone: ZoneInfo, option: str = "--at") -> datetime:
    """`2026-03-24 09:00` (deployment time) or with an explicit offset."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise OperationError(
            f"{option} {text!r}: write a date and time such as 2026-03-24T09:00 or "
            "2026-03-24T09:00+07:00"
        ) from None
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment


async def run_import(
    settings: Settings, kind: str, path: Path, now: datetime, dry_run: bool
) -> tuple[int, str]:
    importer = import_datasets if kind == "daftar-data" else import_people
    # An import sets up the region's own registry: the demo's would compete with it.
    async with prepared(settings, now, demo=False) as uow:
        try:
            report = await importer(uow, path, now, dry_run=dry_run)
        except ImportFileError as error:
            raise OperationError(str(error)) from None
    return (0 if report.ok else 1), import_summary(report, dry_run)


async def run_value_import(
    settings: Settings, path: Path, dataset_code: str, now: datetime, dry_run: bool
) -> tuple[int, str]:
    home = kemendagri_from_bps(settings.region_code) or ""
    async with prepared(settings, now, demo=False) as uow:
        try:
            report = await import_values(
                uow, path, dataset_code, now, dry_run=dry_run, home_code=home
            )
        except ImportFileError as error:
            raise OperationError(str(error)) from None
    return (0 if report.ok else 1), value_import_summary(report, dry_run)


def value_import_summary(report: ValueImportReport, dry_run: bool) -> str:
    if report.errors:
        lines = [f"Impor dibatalkan: {len(report.errors)} masalah, tidak ada yang diubah."]
        lines += [f"  {message}" for message in report.errors]
        return "\n".join(lines)
    stats = report.stats
    counts = f"{stats.loaded} baru, {stats.changed} diubah, {report.unchanged} tetap"
    where = f"{report.values} nilai dari {report.tables} tabel untuk {report.dataset_title}"
    if dry_run:
        return (
            f"Pemeriksaan selesai: {where} terbaca tanpa kesalahan ({counts}); "
            "tidak ada yang diubah."
        )
    lines = [f"Impor selesai: {where} ({counts})."]
    if stats.regions_added:
        lines.append(f"  {stats.regions_added} wilayah baru dari daftar Kemendagri.")
    if stats.period_arrived:
        lines.append(
            f"  Periode baru {stats.latest_period}: pengingat untuk dataset ini dihentikan."
        )
    return "\n".join(lines)


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
        report = await OutboxSender(uow, deliverer, send_budget(uow.engine)).drain_all()
    return (
        f"terkirim {report.sent} · dicoba ulang {report.retried} · "
        f"tidak terkirim {report.undeliverable}"
    )


async def digest_preview(settings: Settings, at: datetime) -> str:
    """What the weekly digest would send at `at`, to whom, writing nothing."""
    place = digest_place(settings)
    week, moment = settings.digest_schedule.latest(at, place.zone, WorkCalendar())
    async with prepared(settings, at) as uow_factory, uow_factory() as uow:
        digest = await build_digest(uow, at, week, place)
    lines = [
        f"Ringkasan mingguan pekan {week.isoformat()} (jadwal {moment.isoformat()}), "
        f"dihitung {at.isoformat()}: {len(digest.deliveries)} penerima"
    ]
    for delivery in digest.deliveries:
        recipient = delivery.recipient
        chat = recipient.chat_id if recipient.chat_id is not None else "belum terhubung Telegram"
        lines.append(f"\n→ {recipient.label} ({delivery.audience}, {recipient.language}, {chat})")
        for part in delivery.parts:
            for number, text in enumerate(fit_with_file(part.text, part.file is not None)):
                if part.file is not None and number == 0:
                    size = len(part.file.content) / 1024
                    lines.append(f"  [{part.file.kind} {part.file.name}, {size:.0f} KB]")
                lines += [f"  {line}" for line in text.splitlines()]
                lines.append("  ---")
    return "\n".join(lines)


async def digest_run(settings: Settings, at: datetime) -> str:
    """Enqueue this week's digest if its moment has come and nobody has yet (cron-friendly)."""
    async with prepared(settings, at) as uow:
        run = await run_weekly_digest(
            uow, at, settings.digest_schedule, WorkCalendar(), digest_place(settings)
        )
    outcomes = {
        DigestOutcome.SENT: f"{run.messages} pesan ringkasan mingguan masuk antrean",
        DigestOutcome.ALREADY: (
            "ringkasan pekan ini sudah dibuat sebelumnya; tidak ada yang dikirim"
        ),
        DigestOutcome.STALE: (
            "jadwal ringkasan sudah lewat lebih dari 3 hari: angka disimpan, tidak dikirim"
        ),
    }
    return f"pekan {run.week.isoformat()}: {outcomes[run.outcome]}"


async def sync_ckan(
    settings: Settings,
    now: datetime,
    since: datetime | None,
    dry_run: bool,
    *,
    verbose: bool = False,
    as_json: bool = False,
) -> tuple[int, str]:
    """Sync with the portal once: every package, or those modified since `since`. The text
    is short unless `verbose` (every package); `as_json` gives everything."""
    if not settings.ckan_url:
        raise OperationError("CKAN_URL is not set: there is no portal to sync with")
    progress = ProgressBar("paket")
    async with prepared(settings, now) as uow:
        syncer = PortalSyncer(uow, portal_config(settings))
        try:
            report = await syncer.run(
                now, since=since, full=since is None, dry_run=dry_run, progress=progress
            )
        finally:
            progress.close()
    if as_json:
        text = json.dumps(report.as_json(), ensure_ascii=False, indent=2)
    else:
        text = render_sync_report(
            report,
            settings.language,
            settings.timezone,
            settings.timezone_abbreviation,
            verbose=verbose,
            hint=True,
        )
    return (0 if report.ok else 1), text


async def push_portal(settings: Settings, now: datetime, code: str | None) -> tuple[int, str]:
    """Publish the accepted tables waiting for the portal now (the running bot does it every
    few seconds); with `code`, that dataset's table again first, as the registry holds it."""
    if not settings.ckan_url:
        raise OperationError("CKAN_URL is not set: there is no portal to publish to")
    portal = portal_config(settings)
    if not portal.writable:
        raise OperationError(
            "CKAN_API_TOKEN is not set: the portal takes tables only with a token that may write"
        )
    async with prepared(settings, now) as uow:
        if code:
            async with uow() as unit:
                try:
                    await verified_table.requeue(unit, code, now)
                except LookupError as error:
                    raise OperationError(str(error)) from None
        done = await PortalPusher(uow, portal).run_due(now)
    if not done.outcomes:
        return 0, "no table is waiting for the portal"
    lines = [f"{dataset}: {outcome}" for dataset, outcome in done.outcomes]
    if done.superseded:
        lines.append(f"{done.superseded} older table(s) left out: a newer one went instead")
    return (1 if done.failed or done.delayed else 0), "\n".join(lines)
