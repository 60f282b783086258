"""The `satudata` command line."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot import admin, desk, operations
from bot.config import ConfigError, Settings
from bot.console import ATTACHMENTS, CONSOLE_CHAT_ID, render_reply, run_console, save_attachment
from bot.log_secrets import mask_secrets_in_logs
from bot.wiring import UnknownIdentity, build_runtime, resolve_identity
from domain.terms import Role
from handlers.invites import DEFAULT_DAYS
from handlers.messages import Incoming, Reply
from handlers.submission_review import Decision
from storage import db
from storage.demo import load_demo
from storage.people import ROLES
from storage.uow import UnitOfWorkFactory
from texts.i18n import texts

EXIT_USAGE = 2
EXIT_BUG = 1


class CliError(Exception):
    """A problem the operator can fix; printed as one line, exit code 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="satudata", description="Satu Data assistant: Telegram bot for regional data."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "run", help="serve on Telegram (long polling); console when no token is set"
    )
    serve = commands.add_parser("serve", help="serve on Telegram (long polling, or --webhook)")
    serve.add_argument(
        "--webhook",
        action="store_true",
        help="receive updates over HTTP at WEBHOOK_URL (see WEBHOOK_* settings)",
    )
    commands.add_parser(
        "worker",
        help="run reminders, digests, syncs and sending only (one leader per database)",
    )
    console = commands.add_parser("console", help="chat with the bot in the terminal")
    console.add_argument("--as", dest="who", help="person name or role to act as")
    ask = commands.add_parser("ask", help="ask one question and exit")
    ask.add_argument("text")
    ask.add_argument("--as", dest="who", help="person name or role to act as")
    ask.add_argument("--json", action="store_true", help="print the structured reply")
    database = commands.add_parser("db", help="database maintenance")
    database.add_subparsers(dest="action", required=True).add_parser(
        "upgrade", help="apply schema migrations"
    )
    demo = commands.add_parser("demo", help="demo registry")
    demo.add_subparsers(dest="action", required=True).add_parser(
        "load", help="load the demo registry (idempotent)"
    )
    imports = commands.add_parser("import", help="import a spreadsheet (CSV or XLSX)")
    import_kinds = imports.add_subparsers(dest="action", required=True)
    for kind, about in (
        ("daftar-data", "the Daftar Data: datasets and their schedules"),
        ("pengguna", "people and their roles"),
    ):
        command = import_kinds.add_parser(kind, help=about)
        command.add_argument("file", type=Path)
        command.add_argument("--dry-run", action="store_true", help="check only, change nothing")
    values = import_kinds.add_parser(
        "data", help="a dataset's values (tables as portals publish them), all or nothing"
    )
    values.add_argument("file", type=Path)
    values.add_argument("--dataset", required=True, help="the dataset's code in the registry")
    values.add_argument("--dry-run", action="store_true", help="check only, change nothing")
    values.add_argument(
        "--submit",
        metavar="PERSON",
        help="send it for the walidata's review as this liaison, as in chat, instead of loading",
    )
    reminders = commands.add_parser("reminders", help="deadline reminders and escalations")
    reminder_actions = reminders.add_subparsers(dest="action", required=True)
    plan = reminder_actions.add_parser("plan", help="dry run: what a tick at --at would send")
    plan.add_argument("--at", required=True, help="moment, e.g. 2026-03-24T09:00")
    plan.add_argument("--json", action="store_true")
    tick = reminder_actions.add_parser("tick", help="enqueue what is due now (or --at)")
    tick.add_argument("--at", help="moment, e.g. 2026-03-24T09:00 (default: now)")
    reminder_actions.add_parser("send", help="send the outbox once and exit")
    digest = commands.add_parser("digest", help="the weekly compliance digest")
    digest_actions = digest.add_subparsers(dest="action", required=True)
    preview = digest_actions.add_parser("preview", help="print what would be sent, send nothing")
    preview.add_argument("--at", help="moment, e.g. 2026-11-23T07:30 (default: now)")
    digest_run = digest_actions.add_parser("run", help="enqueue this week's digest if due")
    digest_run.add_argument("--at", help="moment, e.g. 2026-11-23T07:30 (default: now)")
    sync = commands.add_parser("sync", help="sync the registry with a data portal")
    sync_actions = sync.add_subparsers(dest="action", required=True)
    ckan = sync_actions.add_parser(
        "ckan", help="read the CKAN portal at CKAN_URL into the registry"
    )
    push = sync_actions.add_parser(
        "push", help="publish the accepted tables waiting for the portal now"
    )
    push.add_argument("dataset", nargs="?", help="publish this dataset's table again first")
    ckan.add_argument("--dry-run", action="store_true", help="report only, change nothing")
    ckan.add_argument(
        "--since", help="only packages modified since, e.g. 2026-11-01T00:00 (default: all)"
    )
    ckan.add_argument("--verbose", action="store_true", help="list every package's outcome")
    ckan.add_argument(
        "--json", action="store_true", help="print the whole report, every package, as JSON"
    )
    desk = commands.add_parser("submissions", help="liaisons' files waiting for the walidata")
    desk_actions = desk.add_subparsers(dest="action", required=True)
    listed = desk_actions.add_parser("list", help="the files waiting (--all: every one)")
    listed.add_argument("--all", action="store_true")
    shown = desk_actions.add_parser("show", help="one file's details; saves the file")
    shown.add_argument("id", type=int)
    for name, about in (("accept", "load it into the registry"), ("return", "send it back")):
        action = desk_actions.add_parser(name, help=about)
        action.add_argument("id", type=int)
        action.add_argument("--as", dest="who", required=True, help="the walidata deciding")
        if name == "return":
            action.add_argument(
                "--reason",
                type=int,
                required=True,
                help="1 source, 2 incomplete, 3 period or regions, 4 needs an explanation",
            )
    admin = commands.add_parser("admin", help="people, roles, invitations and the audit log")
    admin_actions = admin.add_subparsers(dest="action", required=True)
    invite = admin_actions.add_parser("invite", help="print a single-use invitation link")
    invite.add_argument("--role", choices=ROLES, help="the role (for --person: one to add)")
    who = invite.add_mutually_exclusive_group(required=True)
    who.add_argument("--name", help="the full name of someone new to the registry")
    who.add_argument("--person", help="id or exact name of someone in it without an account")
    invite.add_argument("--opd", help="OPD code (required for kepala_opd and produsen)")
    invite.add_argument("--days", type=int, default=DEFAULT_DAYS, help="days the link is valid")
    admin_actions.add_parser("list-people", help="everyone in the registry with their roles")
    revoke = admin_actions.add_parser("revoke", help="take every role away from a person")
    revoke.add_argument("person", help="id or exact name (see list-people)")
    audit = admin_actions.add_parser("audit", help="export the audit log")
    audit.add_argument("--since", required=True, help="first day, e.g. 2026-11-01")
    audit.add_argument("--format", choices=["csv"], default="csv")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env()
    except ConfigError as error:
        print(f"satudata: {error}", file=sys.stderr)
        return EXIT_USAGE
    set_up_logging(settings, serving=args.command in ("run", "serve", "worker"))
    try:
        return asyncio.run(dispatch(args, settings))
    except (ConfigError, CliError, operations.OperationError, desk.DeskError) as error:
        print(f"satudata: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except Exception as error:
        problem = db.storage_error(error)
        if problem is None:  # a bug: its traceback is logged, where secrets are masked
            logging.getLogger("satudata").exception("unexpected error")
            return EXIT_BUG
        print(f"satudata: {storage_message(problem, settings)}", file=sys.stderr)
        return EXIT_USAGE


def set_up_logging(settings: Settings, serving: bool) -> None:
    """Lines on stderr, secrets masked. Below DEBUG, each migration step and each Bot API
    call are noise, and so is python-telegram-bot's traceback of an answer that is not JSON:
    the transport says what went wrong in one line."""
    level = settings.log_level or ("INFO" if serving else "WARNING")
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if level != "DEBUG":
        logging.getLogger("alembic").setLevel(logging.WARNING)
        logging.getLogger("httpx").setLevel(logging.WARNING)
        logging.getLogger("telegram.request").setLevel(logging.CRITICAL)
    mask_secrets_in_logs(settings)


def storage_message(problem: db.StorageError, settings: Settings) -> str:
    """One line for any command the database stopped: what is wrong, where, what to do."""
    return texts(settings.language).t(
        f"storage_{problem.problem}",
        where=db.describe(settings.database_url),
        detail=problem.detail,
    )


async def dispatch(args: argparse.Namespace, settings: Settings) -> int:
    now = datetime.now(UTC)
    match args.command:
        case "run":
            if settings.telegram_token and settings.telegram_library == "aiogram":
                from bot.telegram_aiogram import serve_polling_aiogram

                return await serve_polling_aiogram(settings)
            if settings.telegram_token:
                from bot.telegram_ptb import serve_polling

                return await serve_polling(settings)
            print(texts(settings.language).t("console_banner", who=_describe(None)), flush=True)
            return await console(settings, None, now, banner=False)
        case "serve":
            return await serve(settings, webhook=args.webhook)
        case "worker":
            from bot.worker import run_worker

            return await run_worker(settings)
        case "console":
            return await console(settings, args.who, now, banner=True)
        case "ask":
            return await ask(settings, args.text, args.who, args.json, now)
        case "db":
            engine = db.create_engine(settings.database_url)
            try:
                async with db.migration_lock(engine):
                    await db.upgrade(engine)
            finally:
                await engine.dispose()
            print("database is at the newest schema")
            return 0
        case "import":
            if args.action == "data" and args.submit:
                print(await desk.submit(settings, args.file, args.dataset, args.submit, now))
                return 0
            if args.action == "data":
                code, summary = await operations.run_value_import(
                    settings, args.file, args.dataset, now, args.dry_run
                )
            else:
                code, summary = await operations.run_import(
                    settings, args.action, args.file, now, args.dry_run
                )
            print(summary)
            return code
        case "reminders":
            zone = settings.timezone
            if args.action == "plan":
                print(
                    await operations.reminders_plan(
                        settings, operations.parse_moment(args.at, zone), args.json
                    )
                )
            elif args.action == "tick":
                at = operations.parse_moment(args.at, zone) if args.at else now
                print(await operations.reminders_tick(settings, at))
            else:
                print(await operations.outbox_send(settings, now))
            return 0
        case "digest":
            at = operations.parse_moment(args.at, settings.timezone) if args.at else now
            if args.action == "preview":
                print(await operations.digest_preview(settings, at))
            else:
                print(await operations.digest_run(settings, at))
            return 0
        case "sync" if args.action == "push":
            code, text = await operations.push_portal(settings, now, args.dataset)
            print(text)
            return code
        case "sync":
            since = (
                operations.parse_moment(args.since, settings.timezone, "--since")
                if args.since
                else None
            )
            code, text = await operations.sync_ckan(
                settings, now, since, args.dry_run, verbose=args.verbose, as_json=args.json
            )
            print(text)
            return code
        case "admin":
            print(await run_admin(args, settings, now))
            return 0
        case "submissions":
            print(await run_desk(args, settings, now))
            return 0
        case "demo":
            engine = db.create_engine(settings.database_url)
            try:
                async with db.migration_lock(engine):
                    await db.upgrade(engine)
                    report = await load_demo(UnitOfWorkFactory(engine), now)
            finally:
                await engine.dispose()
            print(json.dumps(report.as_dict()))
            return 0
    raise AssertionError(args.command)


async def run_admin(args: argparse.Namespace, settings: Settings, now: datetime) -> str:
    match args.action:
        case "invite":
            role = Role(args.role) if args.role else None
            if args.person is not None:
                return await admin.invite_person(
                    settings, args.person, role, args.opd, args.days, now
                )
            if role is None:
                raise operations.OperationError("--role is required with --name")
            return await admin.invite(settings, role, args.name, args.opd, args.days, now)
        case "list-people":
            return await admin.list_people(settings, now)
        case "revoke":
            return await admin.revoke(settings, args.person, now)
        case "audit":
            return await admin.audit_csv(settings, admin.parse_day(args.since, settings), now)
    raise AssertionError(args.action)


async def run_desk(args: argparse.Namespace, settings: Settings, now: datetime) -> str:
    try:
        match args.action:
            case "list":
                return await desk.listing(settings, args.all)
            case "show":
                return await desk.show(settings, args.id, ATTACHMENTS)
            case "accept":
                return await desk.decide(settings, args.id, Decision.ACCEPT, None, args.who, now)
            case "return":
                return await desk.decide(
                    settings, args.id, Decision.RETURN, args.reason, args.who, now
                )
    except desk.DeskError as error:
        raise CliError(str(error)) from None
    raise AssertionError(args.action)


async def serve(settings: Settings, *, webhook: bool) -> int:
    if not settings.telegram_token:
        raise ConfigError("TELEGRAM_BOT_TOKEN is required for serve (the token from @BotFather)")
    if settings.telegram_library == "aiogram":
        from bot.telegram_aiogram import serve_polling_aiogram, serve_webhook_aiogram

        return await (serve_webhook_aiogram if webhook else serve_polling_aiogram)(settings)
    from bot.telegram_ptb import serve_polling, serve_webhook

    return await (serve_webhook if webhook else serve_polling)(settings)


async def console(settings: Settings, who: str | None, now: datetime, *, banner: bool) -> int:
    runtime = await build_runtime(settings, now)
    try:
        person = await _identity(runtime.uow, who)
        if banner:
            who_text = _describe(person)
            print(texts(settings.language).t("console_banner", who=who_text), flush=True)
        await run_console(runtime.dispatcher, person.id if person else None)
    finally:
        await runtime.close()
    return 0


async def ask(settings: Settings, text: str, who: str | None, as_json: bool, now: datetime) -> int:
    runtime = await build_runtime(settings, now)
    try:
        person = await _identity(runtime.uow, who)
        incoming = Incoming(
            CONSOLE_CHAT_ID, None, text=text, person_id=person.id if person else None
        )
        replies = await runtime.dispatcher.handle(incoming, now)
    finally:
        await runtime.close()
    if as_json:
        print(json.dumps(_as_json(text, replies), ensure_ascii=False, indent=2))
    else:
        print("\n\n".join(render_reply(reply) for reply in replies))
    return 0


def _as_json(question: str, replies: list[Reply]) -> dict[str, Any]:
    rendered = []
    for reply in replies:
        attachments = []
        if reply.attachment is not None:
            path = save_attachment(reply.attachment)
            attachments.append(
                {
                    "kind": reply.attachment.kind,
                    "filename": reply.attachment.filename,
                    "path": str(path),
                }
            )
        rendered.append(
            {
                "text": reply.text,
                "buttons": [[asdict(button) for button in row] for row in reply.buttons],
                "attachments": attachments,
                "data": reply.data,
            }
        )
    answer = next((r.data for r in replies if r.data and r.data.get("type")), None)
    return {"question": question, "replies": rendered, "answer": answer}


async def _identity(uow: UnitOfWorkFactory, who: str | None) -> Any:
    try:
        return await resolve_identity(uow, who)
    except UnknownIdentity:
        raise CliError(
            f"--as {who!r}: no such person or role (roles: {', '.join(ROLES)}, publik)"
        ) from None


def _describe(person: Any) -> str:
    if person is None:
        return "publik"
    return f"{person.name} ({', '.join(sorted(person.role_names))})"


if __name__ == "__main__":
    sys.exit(main())
