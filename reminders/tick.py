"""The reminder tick: find what is actionable now, write one message per recipient.

The same `collect` serves the real tick and the dry-run plan, so a plan shows exactly what a
tick at that moment would send, given what has already been sent.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from domain.access import Viewer, may_see_metadata
from domain.cadence import PlannedStep
from domain.engine import ChaseState, ReminderSettings, evaluate
from domain.telegram_limits import TEXT_LIMIT
from domain.terms import LIAISON, REGION_WIDE_ROLES, OutboxKind
from reminders.buttons import ReminderAction, ReminderButton, TemplateButton
from reminders.review_reminder import remind_reviews
from storage.models import OutboxMessage, Person
from storage.repositories import ChaseRow, SendRecord
from storage.uow import UnitOfWork, UnitOfWorkFactory
from texts.i18n import texts

MAX_BUTTON_DATASETS = 8  # a message with more datasets points to /status for the rest
# Datasets named per section of one message; the rest are counted, and /status lists them all.
MAX_LISTED = 12


@dataclass(frozen=True)
class Item:
    """One dataset period in one reminder, as the recipient's role sees it."""

    dataset_id: int
    code: str
    title: str
    opd_id: int
    opd_name: str
    period: str
    due: date
    step: PlannedStep
    role: str
    days_left: int
    # When the chase takes its next step (None: it has none): this item is stale after it.
    until: datetime | None = None
    # The recipient may know the dataset exists (`domain.access`); if not, it is only counted.
    titled: bool = True

    @property
    def days_late(self) -> int:
        return max(0, -self.days_left)


@dataclass
class Notice:
    """Everything one person is told at one tick: one message, however many datasets."""

    person: Person
    items: list[Item] = field(default_factory=list)

    @property
    def roles(self) -> list[str]:
        return sorted({item.role for item in self.items})

    def as_json(self) -> dict[str, Any]:
        return {
            "recipient": self.person.name,
            "role": "+".join(self.roles),
            "opd": self.person.opd.name if self.person.opd else None,
            "chat_id": self.person.telegram_user_id,
            "items": [
                {
                    "dataset": item.code,
                    "title": item.title,
                    "period": item.period,
                    "due_date": item.due.isoformat(),
                    "step": item.step.label,
                    "days_late": item.days_late,
                }
                for item in self.items
            ],
        }


@dataclass
class TickReport:
    datasets_examined: int = 0
    messages: int = 0
    items: int = 0


async def collect(
    uow: UnitOfWork, rows: Sequence[ChaseRow], now: datetime, settings: ReminderSettings
) -> tuple[list[Notice], dict[int, datetime | None]]:
    """The notices due at `now` for these datasets, and when to look at each one again."""
    ids = [row.id for row in rows]
    sent = await uow.reminders.sent_steps(ids)
    extended = await uow.reminders.extended_dues(ids)
    waiting = await uow.submissions.pending(ids)  # sent, and the walidata has not decided
    recipients = Recipients([p for p in await uow.people.all() if p.active])
    opd_names = {opd.id: opd.name for opd in await uow.opds.all()}
    notices: dict[int, Notice] = {}
    told: set[tuple[int, int]] = set()  # (person, dataset): one person, two roles: told once
    next_actions: dict[int, datetime | None] = {}
    for row in rows:
        state = ChaseState.of(row)
        result = evaluate(state, sent.get(row.id, {}), now, settings, extended.get(row.id, {}))
        next_actions[row.id] = result.next_action_at
        if result.due_now is None or result.deadline is None:
            continue
        if (row.id, result.deadline.expected.code) in waiting:
            continue  # the step is not recorded: it goes out if the file is returned
        for role in result.audience:
            for person in recipients.of(role, row.opd_id):
                if (person.id, row.id) in told:
                    continue
                told.add((person.id, row.id))
                notices.setdefault(person.id, Notice(person)).items.append(
                    Item(
                        row.id,
                        row.code,
                        row.title,
                        row.opd_id,
                        opd_names[row.opd_id],
                        result.deadline.expected.code,
                        result.deadline.due,
                        result.due_now,
                        role,
                        result.deadline.days_left,
                        result.next_action_at,
                        may_see_metadata(recipients.readers[person.id], row),
                    )
                )
    return list(notices.values()), next_actions


async def plan_at(
    uow_factory: UnitOfWorkFactory, now: datetime, settings: ReminderSettings
) -> list[Notice]:
    """Dry run: what a tick at `now` would send, chosen and evaluated as the tick does (the
    datasets whose next look has come). Writes nothing."""
    async with uow_factory() as uow:
        rows = await uow.reminders.actionable(now)
        notices, _ = await collect(uow, rows, now, settings)
    return notices


async def run_tick(
    uow_factory: UnitOfWorkFactory, now: datetime, settings: ReminderSettings
) -> TickReport:
    """Enqueue what is due now, in one transaction with the bookkeeping that prevents repeats."""
    async with uow_factory() as uow:
        rows = await uow.reminders.actionable(now)
        notices, next_actions = await collect(uow, rows, now, settings)
        messages = [reminder_message(notice, now) for notice in notices]
        await uow.outbox.add_now(messages)  # the ids come back for the sends
        await uow.reminders.record_sends(
            [
                SendRecord(
                    item.dataset_id, item.period, item.step.key, notice.person.id, message.id, now
                )
                for notice, message in zip(notices, messages, strict=True)
                for item in notice.items
            ]
        )
        await uow.reminders.set_next_actions(next_actions)
        await remind_reviews(uow, now, settings)
        await uow.commit()
    return TickReport(len(rows), len(notices), sum(len(n.items) for n in notices))


def reminder_message(notice: Notice, now: datetime) -> OutboxMessage:
    person = notice.person
    language = person.language or "id"
    item_keys = sorted(f"{i.dataset_id}:{i.period}:{i.step.key}" for i in notice.items)
    digest = hashlib.sha256("|".join(item_keys).encode()).hexdigest()[:20]
    return OutboxMessage.to_person(
        person,
        key=f"reminder:{person.id}:{digest}",
        kind=OutboxKind.REMINDER,
        text=_reminder_text(notice, language),
        now=now,
        buttons=_buttons(notice, language),
        expires_at=_worth_until(notice),
    )


def _worth_until(notice: Notice) -> datetime | None:
    """Until every dataset it names has a newer step to send: a reminder delivered later
    would tell stale days left, and the newer one says what is needed then."""
    moments = [item.until for item in notice.items]
    if not moments or None in moments:
        return None
    return max(m for m in moments if m is not None)


def _reminder_text(notice: Notice, language: str) -> str:
    """The message, naming fewer datasets while it would not fit one Telegram message (very
    long titles); the rest are counted and /status lists them."""
    listed = MAX_LISTED
    while True:
        text = texts(language).render("reminder", notice=notice, liaison=LIAISON, listed=listed)
        if len(text) <= TEXT_LIMIT or listed == 1:
            return text
        listed //= 2


def _buttons(notice: Notice, language: str) -> list[list[dict[str, str]]]:
    """Act on a reminder from the message: per dataset the liaison is chasing and may know
    of (a button names its dataset to whoever presses it). One dataset
    gets worded buttons; several get one row each, the code named once and the other actions
    as icons (the message explains them), so five datasets fit one screen."""
    items = [i for i in notice.items if i.role == LIAISON and i.titled][:MAX_BUTTON_DATASETS]
    if len(items) > 1:
        return [_compact_row(item) for item in items]
    t = texts(language)
    extend, not_ours, detail = t.t("btn_extend"), t.t("btn_not_ours"), t.t("btn_detail")
    template = t.t("btn_template")
    rows = []
    for item in items:
        rows.append(
            [
                _button(t.t("btn_done", code=item.code), ReminderAction.DONE, item),
                _button(extend, ReminderAction.EXTEND, item),
            ]
        )
        rows.append(
            [
                _button(not_ours, ReminderAction.NOT_OURS, item),
                _button(detail, ReminderAction.DETAIL, item),
            ]
        )
        rows.append([{"text": template, "data": TemplateButton(item.dataset_id).pack()}])
    return rows


# The actions of a row of a several-dataset reminder, as the message's legend names them.
ICONS = (
    ("📅", ReminderAction.EXTEND),
    ("🚫", ReminderAction.NOT_OURS),
    ("ℹ️", ReminderAction.DETAIL),
)
TEMPLATE_ICON = "📤"


def _compact_row(item: Item) -> list[dict[str, str]]:
    return [
        _button(f"✅ {item.code}", ReminderAction.DONE, item),
        *(_button(icon, action, item) for icon, action in ICONS),
        {"text": TEMPLATE_ICON, "data": TemplateButton(item.dataset_id).pack()},
    ]


def _button(label: str, action: ReminderAction, item: Item) -> dict[str, str]:
    return {"text": label, "data": ReminderButton(action, item.dataset_id, item.period).pack()}


class Recipients:
    """Who holds a role, region-wide or within an OPD, indexed once per tick."""

    def __init__(self, people: list[Person]) -> None:
        # What each may read, built once: the walidata is told of thousands of items a tick.
        self.readers = {person.id: Viewer.of(person) for person in people}
        self._by_role: dict[tuple[str, int | None], list[Person]] = {}
        for person in people:
            for role in person.role_names:
                scope = None if role in REGION_WIDE_ROLES else person.opd_id
                self._by_role.setdefault((role, scope), []).append(person)

    def of(self, role: str, opd_id: int) -> list[Person]:
        scope = None if role in REGION_WIDE_ROLES else opd_id
        return self._by_role.get((role, scope), [])
