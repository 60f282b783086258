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

from bot import operations
from bot.config import ConfigError, Settings
from bot.console import CONSOLE_CHAT_ID, render_reply, run_console, save_attachment
from bot.wiring import ROLES, UnknownIdentity, build_runtime, resolve_identity
from handlers.messages import Incoming, Reply
from reports.i18n import texts
from storage import db
from storage.demo import load_demo
from storage.uow import UnitOfWorkFactory

EXIT_USAGE = 2


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
    reminders = commands.add_parser("reminders", help="deadline reminders and escalations")
    reminder_actions = reminders.add_subparsers(dest="action", required=True)
    plan = reminder_actions.add_parser("plan", help="dry run: what a tick at --at would send")
    plan.add_argument("--at", required=True, help="moment, e.g. 2026-03-24T09:00")
    plan.add_argument("--json", action="store_true")
    tick = reminder_actions.add_parser("tick", help="enqueue what is due now (or --at)")
    tick.add_argument("--at", help="moment, e.g. 2026-03-24T09:00 (default: now)")
    reminder_actions.add_parser("send", help="send the outbox once and exit")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.command == "run" else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)  # each migration step is noise
    try:
        settings = Settings.from_env()
        return asyncio.run(dispatch(args, settings))
    except (ConfigError, CliError, operations.OperationError) as error:
        print(f"satudata: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


async def dispatch(args: argparse.Namespace, settings: Settings) -> int:
    now = datetime.now(UTC)
    match args.command:
        case "run":
            if settings.telegram_token:
                from bot.telegram_ptb import serve_polling

                return await serve_polling(settings)
            print(texts(settings.language).t("console_banner", who=_describe(None)), flush=True)
            return await console(settings, None, now, banner=False)
        case "console":
            return await console(settings, args.who, now, banner=True)
        case "ask":
            return await ask(settings, args.text, args.who, args.json, now)
        case "db":
            engine = db.create_engine(settings.database_url)
            try:
                await db.upgrade(engine)
            finally:
                await engine.dispose()
            print("database is at the newest schema")
            return 0
        case "import":
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
        case "demo":
            engine = db.create_engine(settings.database_url)
            try:
                await db.upgrade(engine)
                report = await load_demo(UnitOfWorkFactory(engine), now)
            finally:
                await engine.dispose()
            print(json.dumps(report.as_dict()))
            return 0
    raise AssertionError(args.command)


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
