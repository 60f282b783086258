"""Telling the walidata who could not be reached, about what, and why.

One line per person however many of their messages failed since the last report, the
datasets named a few at a time and counted beyond: the report must fit one Telegram message,
or its parts would arrive as texts the outbox never held.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from domain.telegram_limits import TEXT_LIMIT
from domain.terms import OutboxKind, Role
from reminders.buttons import LinkButton
from storage.models import OutboxMessage, Person
from storage.people import link_problem
from storage.uow import UnitOfWork
from texts.i18n import texts

MAX_CODES = 5  # dataset codes named per person; the rest are counted
MAX_PEOPLE = 25  # people named per report; the rest are counted

# What Telegram's permanent refusals mean for the walidata, by words of its description.
REFUSALS = (
    ("blocked by the user", "blocked"),
    ("can't initiate conversation", "not_started"),
    ("chat not found", "gone"),
    ("user is deactivated", "gone"),
)


def why_undeliverable(message: OutboxMessage) -> str:
    """The reason a message could not go, as a key of the `unreachable` template."""
    if message.chat_id is None:
        return "unlinked"
    error = message.error.casefold()
    return next((reason for words, reason in REFUSALS if words in error), "refused")


@dataclass
class Unreached:
    """One person's failed messages, as a line of the report (the newest reason wins)."""

    person: Person | None
    reason: str = ""
    error: str = ""
    datasets: list[str] = field(default_factory=list)


async def report_unreachable(uow: UnitOfWork, now: datetime) -> None:
    """Queue, for each walidata, the report of the failures not yet reported (the caller
    commits)."""
    failed = list(await uow.outbox.unreported_failures())
    if not failed:
        return
    people = {p.id: p for p in await uow.people.all()}
    lines: dict[int | None, Unreached] = {}
    for message in failed:  # oldest first: the newest reason is kept
        line = lines.setdefault(message.person_id, Unreached(people.get(message.person_id or -1)))
        line.reason, line.error = why_undeliverable(message), message.error
        codes = [code for code, _ in await uow.reminders.datasets_in(message.id)]
        line.datasets.extend(code for code in codes if code not in line.datasets)
        message.reported_at = now
    for walidata in (p for p in people.values() if Role.WALIDATA in p.role_names and p.active):
        text, listed = _text(list(lines.values()), walidata.language or "id")
        uow.outbox.add(
            OutboxMessage.to_person(
                walidata,
                key=f"unreachable:{walidata.id}:{failed[0].id}-{failed[-1].id}",
                kind=OutboxKind.UNREACHABLE,
                text=text,
                now=now,
                buttons=_invitations(listed, walidata.language or "id"),
            )
        )


def _text(lines: list[Unreached], language: str) -> tuple[str, list[Unreached]]:
    """The report and the lines it names: fewer people while it would not fit one message
    (long names and refusals); the rest are counted."""
    listed = MAX_PEOPLE
    while True:
        linkable = any(_linkable(line) for line in lines[:listed])
        text = texts(language).render(
            "unreachable", lines=lines, listed=listed, max_codes=MAX_CODES, linkable=linkable
        )
        if len(text) <= TEXT_LIMIT or listed == 1:
            return text, lines[:listed]
        listed //= 2


def _linkable(line: Unreached) -> bool:
    """Whether the walidata can reach this person with an invitation link: they have no
    account linked (one who blocked the bot or deleted theirs keeps it: binding never
    unlinks)."""
    return line.person is not None and link_problem(line.person) is None


def _invitations(listed: list[Unreached], language: str) -> list[list[dict[str, str]]]:
    """One tap per person named without a linked account: the link to pass on to them."""
    t = texts(language)
    people = [line.person for line in listed if line.person is not None and _linkable(line)]
    return [
        [{"text": t.t("btn_link_person", name=p.name, opd=""), "data": LinkButton(p.id).pack()}]
        for p in people
    ]
