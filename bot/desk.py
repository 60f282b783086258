"""`satudata submissions`: the walidata's desk for liaisons' files, from the terminal.

Listing and showing read the registry; accepting and returning press the same buttons the
walidata has in chat, as the person named with `--as`, so the registry, the audit log and the
messages to the liaison and the other walidata are the same whichever way it was decided.
`satudata import data … --submit PERSON` sends a file as that liaison would in chat.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path

from bot.config import Settings
from bot.console import CONSOLE_CHAT_ID, save_attachment
from bot.wiring import Runtime, UnknownIdentity, build_runtime, resolve_identity
from domain.terms import Role, SubmissionStatus
from handlers.messages import Attachment, Incoming
from handlers.submission_review import REASONS, Decision, SubmissionButton, reason_text
from storage import db
from storage.models import Person
from storage.uow import UnitOfWorkFactory
from texts.i18n import texts


class DeskError(Exception):
    """A submission or person that is not there: one line for the operator."""


async def listing(settings: Settings, everything: bool) -> str:
    engine = db.create_engine(settings.database_url)
    try:
        async with UnitOfWorkFactory(engine)() as uow:
            status = None if everything else SubmissionStatus.PENDING
            submissions = await uow.submissions.listed(status)
            datasets = {d.id: d.code for d in await uow.datasets.all()}
            people = {p.id: p.name for p in await uow.people.all()}
    finally:
        await engine.dispose()
    if not submissions:
        return "no submissions waiting" if not everything else "no submissions"
    lines = []
    for s in submissions:
        warned = f", {len(s.warnings)} warnings" if s.warnings else ""
        lines.append(
            f"#{s.id}  {datasets.get(s.dataset_id, '?')} {s.period}  {s.status}  "
            f"from {people.get(s.submitted_by, '?')} at {s.submitted_at:%Y-%m-%d %H:%M} UTC"
            f"{warned}"
        )
    return "\n".join(lines)


async def show(settings: Settings, submission_id: int, directory: Path) -> str:
    engine = db.create_engine(settings.database_url)
    try:
        async with UnitOfWorkFactory(engine)() as uow:
            submission = await uow.submissions.get(submission_id)
            if submission is None:
                raise DeskError(f"no submission #{submission_id} (see `satudata submissions list`)")
            dataset = await uow.datasets.get(submission.dataset_id)
            sender = await uow.people.get(submission.submitted_by)
    finally:
        await engine.dispose()
    path = save_attachment(
        Attachment("document", f"{submission.id}-{submission.file.name}", submission.file.content),
        directory,
    )
    code, title = (dataset.code, dataset.title) if dataset else ("?", "")
    lines = [
        f"#{submission.id}  {code} — {title}",
        f"period {submission.period}, {submission.status}, from {sender.name if sender else '?'}",
        f"file: {path}",
    ]
    lines += [f"warning: {w}" for w in submission.warnings]
    if submission.note:
        lines.append(f"note: {submission.note}")
    if submission.reason:
        lines.append(f"returned: {reason_text(texts(settings.language), submission.reason)}")
    return "\n".join(lines)


async def decide(
    settings: Settings,
    submission_id: int,
    decision: Decision,
    reason: int | None,
    who: str,
    now: datetime,
) -> str:
    if reason is not None and not 1 <= reason <= len(REASONS):
        raise DeskError(f"--reason is 1 to {len(REASONS)}: {', '.join(_reasons(settings))}")
    async with _as_person(settings, who, "--as", now) as (runtime, person):
        if person is None or Role.WALIDATA not in person.role_names:
            raise DeskError(f"--as {who!r}: only a walidata decides on submissions")
        button = SubmissionButton(decision, submission_id, None if reason is None else reason - 1)
        incoming = Incoming(CONSOLE_CHAT_ID, None, callback_data=button.pack(), person_id=person.id)
        replies = await runtime.dispatcher.handle(incoming, now)
    return "\n".join(reply.text for reply in replies)


def _reasons(settings: Settings) -> list[str]:
    t = texts(settings.language)
    return [f"{number} {t.t(key)}" for number, key in enumerate(REASONS, start=1)]


async def submit(settings: Settings, path: Path, code: str, who: str, now: datetime) -> str:
    """The file sent by `who`, captioned with the dataset's code: checked, and on to the
    walidata's review when it passes, exactly as in chat."""
    try:
        content = await asyncio.to_thread(path.read_bytes)
    except OSError as error:
        raise DeskError(f"{path}: {error.strerror or error}") from None
    async with _as_person(settings, who, "--submit", now) as (runtime, person):
        if person is None:
            raise DeskError("--submit: name the liaison sending the file")
        incoming = Incoming(
            CONSOLE_CHAT_ID,
            None,
            text=code,
            person_id=person.id,
            document=Attachment("document", path.name, content),
        )
        replies = await runtime.dispatcher.handle(incoming, now)
    return "\n".join(reply.text for reply in replies)


@asynccontextmanager
async def _as_person(
    settings: Settings, who: str, option: str, now: datetime
) -> AsyncIterator[tuple[Runtime, Person | None]]:
    """The bot, and the person `who` names (None: the public), for as long as it acts."""
    runtime = await build_runtime(settings, now)
    try:
        try:
            person = await resolve_identity(runtime.uow, who)
        except UnknownIdentity:
            raise DeskError(f"{option} {who!r}: no such person") from None
        yield runtime, person
    finally:
        await runtime.close()
