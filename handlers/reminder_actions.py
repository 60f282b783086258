"""Acting on a reminder, and /status.

Buttons on a reminder (a `ReminderButton`, `r:<action>:<dataset id>:<period>[:<choice>]`): the
liaison says the data is updated, asks for an extension, says the dataset is not theirs, or asks
for details; the walidata confirms, approves, refuses or reassigns. Every change, and every
message it causes to other people (through the outbox), commits together.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, timedelta

from domain.access import Viewer, may_see_metadata
from domain.cadence import step_label
from domain.terms import (
    LIAISON,
    OPD_ROLES,
    REGION_WIDE_ROLES,
    DeadlineStatus,
    ExtensionStatus,
    Role,
)
from handlers.catalog import Catalog
from handlers.context import Request
from handlers.messages import Button, Reply
from handlers.notices import tell
from reminders.audience import named_for
from reminders.buttons import ReminderAction, ReminderButton
from reminders.status import DatasetStatus, dataset_statuses, status_of
from storage.fulfilment import close_chase
from storage.models import Dataset, Extension, Person
from storage.uow import UnitOfWork
from texts.i18n import texts

EXTENSION_DAYS = (7, 14, 30)
MAX_STATUS_LINES = 40
MAX_MOVE_CHOICES = 12
# What the liaison of the dataset's OPD may press (and the walidata); the rest is the walidata's.
LIAISON_ACTIONS = frozenset(
    {
        ReminderAction.DONE,
        ReminderAction.EXTEND,
        ReminderAction.EXTEND_TO,
        ReminderAction.NOT_OURS,
        ReminderAction.DETAIL,
    }
)
# Extensions that count against the limit: asked for and not refused.
STANDING = frozenset({ExtensionStatus.PENDING, ExtensionStatus.APPROVED})


async def on_button(request: Request, button: ReminderButton) -> list[Reply]:
    t = request.texts
    viewer = request.viewer
    async with request.app.uow() as uow:
        dataset = await uow.datasets.get(button.dataset_id)
        if dataset is None or not may_see_metadata(viewer, dataset):
            # Said alike, so a forged press learns neither that it exists nor whose it is.
            return [Reply(t.t("stale_button"))]
        is_walidata = Role.WALIDATA in viewer.roles
        is_liaison = LIAISON in viewer.roles and viewer.opd_id == dataset.opd_id
        if button.action not in LIAISON_ACTIONS and not is_walidata:
            return [Reply(t.t("walidata_only"))]
        if button.action in LIAISON_ACTIONS and not (is_liaison or is_walidata):
            return [Reply(t.t("liaison_only", opd=dataset.opd.name))]
        today = request.today
        status = await status_of(uow, dataset.id, today)
        replies = await HANDLERS[button.action](request, uow, dataset, button, status)
        await uow.commit()
    if button.action is ReminderAction.MOVE:
        async with request.app.uow() as uow:
            request.app.catalog = await Catalog.load(uow)  # the producer changed
    return replies


async def _done(
    request: Request,
    uow: UnitOfWork,
    dataset: Dataset,
    button: ReminderButton,
    status: DatasetStatus | None,
) -> list[Reply]:
    t = request.texts
    if status is None or status.deadline.expected.code != button.period:
        return [Reply(t.t("already_recorded", title=dataset.title, period=button.period))]
    _audit(request, uow, "claim_updated", dataset, button.period)
    await _ask_walidata(
        uow,
        request,
        f"claim:{dataset.id}:{button.period}:{request.now.timestamp():.0f}",
        "claim_for_walidata",
        lambda w: [
            [
                _choice(w, "btn_confirm", _about(button, ReminderAction.CONFIRM)),
                _choice(w, "btn_deny", _about(button, ReminderAction.DENY)),
            ]
        ],
        person=request.viewer.name,
        title=dataset.title,
        code=dataset.code,
        period=button.period,
        opd=dataset.opd.name,
    )
    return [Reply(t.t("claim_received", title=dataset.title, period=button.period))]


async def _confirm(
    request: Request,
    uow: UnitOfWork,
    dataset: Dataset,
    button: ReminderButton,
    status: DatasetStatus | None,
) -> list[Reply]:
    delivered = max(
        p for p in (dataset.latest_period, dataset.confirmed_period, "") if p is not None
    )
    if delivered >= button.period:
        return [
            Reply(request.texts.t("already_recorded", title=dataset.title, period=button.period))
        ]
    previous = delivered or None
    dataset.confirmed_period = button.period
    await close_chase(
        uow, dataset, button.period, request.now, previous_delivered=previous, confirmed=True
    )
    _audit(request, uow, "claim_confirmed", dataset, button.period)
    return [Reply(request.texts.t("claim_confirmed", title=dataset.title, period=button.period))]


async def _deny(
    request: Request,
    uow: UnitOfWork,
    dataset: Dataset,
    button: ReminderButton,
    status: DatasetStatus | None,
) -> list[Reply]:
    _audit(request, uow, "claim_denied", dataset, button.period)
    for liaison in await _liaisons(uow, dataset):
        await tell(
            uow,
            liaison,
            f"deny:{dataset.id}:{button.period}:{liaison.id}:{request.now.timestamp():.0f}",
            "claim_denied_for_liaison",
            request.now,
            title=_title_for(liaison, dataset),
            period=button.period,
        )
    return [Reply(request.texts.t("claim_denied", title=dataset.title, period=button.period))]


async def _extend(
    request: Request,
    uow: UnitOfWork,
    dataset: Dataset,
    button: ReminderButton,
    status: DatasetStatus | None,
) -> list[Reply]:
    t = request.texts
    if status is None or status.deadline.expected.code != button.period:
        return [Reply(t.t("already_recorded", title=dataset.title, period=button.period))]
    asked = [
        e
        for e in await uow.reminders.extensions_for(dataset.id, button.period)
        if e.status in STANDING
    ]
    if len(asked) >= request.app.reminders.max_extensions:
        return [Reply(t.t("extension_limit", limit=request.app.reminders.max_extensions))]
    if any(e.status == ExtensionStatus.PENDING for e in asked):
        return [Reply(t.t("extension_pending"))]
    due = status.deadline.due
    buttons = [
        [
            Button(
                t.t("btn_extend_to", date=_extended(request, due, days)),
                _about(button, ReminderAction.EXTEND_TO, days),
            )
        ]
        for days in EXTENSION_DAYS
    ]
    late = max(0, (request.today - due).days)
    text = t.t("extension_choose", title=dataset.title, due=due, late=late)
    return [Reply(text, buttons=buttons)]


def _extended(request: Request, due: date, days: int) -> date:
    """`days` after the later of the due date and today (a late dataset is offered dates
    ahead, never ones already past), on a working day as the chase counts them."""
    base = max(due, request.today)
    return request.app.reminders.calendar.on_or_after(base + timedelta(days=days))


async def _extend_to(
    request: Request,
    uow: UnitOfWork,
    dataset: Dataset,
    button: ReminderButton,
    status: DatasetStatus | None,
) -> list[Reply]:
    t = request.texts
    days = button.choice
    if days is None or days not in EXTENSION_DAYS:
        return [Reply(t.t("stale_button"))]
    check = await _extend(request, uow, dataset, button, status)
    if not check[0].buttons:  # refused (limit, pending, or period already delivered)
        return check
    assert status is not None and request.viewer.person_id is not None
    new_due = _extended(request, status.deadline.due, days)
    extension = Extension(
        dataset_id=dataset.id,
        period=button.period,
        requested_by=request.viewer.person_id,
        requested_at=request.now,
        new_due=new_due,
        status=ExtensionStatus.PENDING,
    )
    await uow.reminders.add_extension(extension)
    _audit(request, uow, "extension_requested", dataset, button.period, new_due=new_due.isoformat())
    await _ask_walidata(
        uow,
        request,
        f"ext:{extension.id}",
        "extension_for_walidata",
        lambda w: [
            [
                _choice(w, "btn_approve", _about(button, ReminderAction.APPROVE, extension.id)),
                _choice(w, "btn_refuse", _about(button, ReminderAction.REFUSE, extension.id)),
            ]
        ],
        person=request.viewer.name,
        title=dataset.title,
        period=button.period,
        due=status.deadline.due,
        new_due=new_due,
        opd=dataset.opd.name,
    )
    return [Reply(t.t("extension_requested", new_due=new_due))]


async def _decide(
    request: Request,
    uow: UnitOfWork,
    dataset: Dataset,
    button: ReminderButton,
    status: DatasetStatus | None,
) -> list[Reply]:
    t = request.texts
    assert button.choice is not None  # an extension's id: the button has one
    extension = await uow.reminders.extension(button.choice)
    if extension is None or extension.dataset_id != dataset.id:
        return [Reply(t.t("stale_button"))]
    if extension.status != ExtensionStatus.PENDING:
        return [Reply(t.t("extension_already_decided", status=extension.status))]
    approved = button.action is ReminderAction.APPROVE
    extension.status = ExtensionStatus.APPROVED if approved else ExtensionStatus.REFUSED
    extension.decided_by, extension.decided_at = request.viewer.person_id, request.now
    if approved:
        dataset.next_action_at = request.now  # re-plan the chase around the new date
    _audit(
        request,
        uow,
        f"extension_{extension.status}",
        dataset,
        button.period,
        new_due=extension.new_due.isoformat(),
    )
    requester = await uow.people.get(extension.requested_by)
    if requester is not None:
        await tell(
            uow,
            requester,
            f"extdecision:{extension.id}",
            "extension_decided",
            request.now,
            title=_title_for(requester, dataset),
            period=button.period,
            new_due=extension.new_due,
            approved=approved,
        )
    return [
        Reply(
            t.t(
                "extension_decided_walidata",
                approved=approved,
                title=dataset.title,
                new_due=extension.new_due,
            )
        )
    ]


async def _not_ours(
    request: Request,
    uow: UnitOfWork,
    dataset: Dataset,
    button: ReminderButton,
    status: DatasetStatus | None,
) -> list[Reply]:
    _audit(request, uow, "reassignment_requested", dataset, button.period)
    choices = [o for o in await uow.opds.all() if o.id != dataset.opd_id][:MAX_MOVE_CHOICES]
    await _ask_walidata(
        uow,
        request,
        f"notours:{dataset.id}:{request.now.timestamp():.0f}",
        "not_ours_for_walidata",
        lambda w: [
            [{"text": o.short_name, "data": _about(button, ReminderAction.MOVE, o.id)}]
            for o in choices
        ],
        person=request.viewer.name,
        title=dataset.title,
        code=dataset.code,
        opd=dataset.opd.name,
    )
    return [Reply(request.texts.t("not_ours_received", title=dataset.title))]


async def _move(
    request: Request,
    uow: UnitOfWork,
    dataset: Dataset,
    button: ReminderButton,
    status: DatasetStatus | None,
) -> list[Reply]:
    opd = next((o for o in await uow.opds.all() if o.id == button.choice), None)
    if opd is None:
        return [Reply(request.texts.t("stale_button"))]
    _audit(
        request,
        uow,
        "dataset_reassigned",
        dataset,
        button.period,
        old_opd=dataset.opd.code,
        new_opd=opd.code,
    )
    dataset.opd_id = opd.id
    dataset.next_action_at = request.now
    return [Reply(request.texts.t("moved", title=dataset.title, opd=opd.name))]


async def _detail(
    request: Request,
    uow: UnitOfWork,
    dataset: Dataset,
    button: ReminderButton,
    status: DatasetStatus | None,
) -> list[Reply]:
    sends = await uow.reminders.sends_for(dataset.id, button.period)
    labels = [step_label(send.step) for send in sends]
    steps = [label for label in dict.fromkeys(labels) if label != "weekly"]  # in sent order
    weekly = len({send.step for send in sends if step_label(send.step) == "weekly"})
    text = request.texts.render(
        "dataset_detail",
        dataset=dataset,
        status=status,
        steps=steps,
        weekly=weekly,
        liaisons=await _liaisons(uow, dataset),
    )
    return [Reply(text)]


ActionHandler = Callable[
    [Request, UnitOfWork, Dataset, ReminderButton, DatasetStatus | None], Awaitable[list[Reply]]
]
HANDLERS: dict[ReminderAction, ActionHandler] = {
    ReminderAction.DONE: _done,
    ReminderAction.CONFIRM: _confirm,
    ReminderAction.DENY: _deny,
    ReminderAction.EXTEND: _extend,
    ReminderAction.EXTEND_TO: _extend_to,
    ReminderAction.APPROVE: _decide,
    ReminderAction.REFUSE: _decide,
    ReminderAction.NOT_OURS: _not_ours,
    ReminderAction.MOVE: _move,
    ReminderAction.DETAIL: _detail,
}


async def status(request: Request) -> list[Reply]:
    """/status: a liaison sees their OPD's datasets; the walidata and leaders see every OPD."""
    t = request.texts
    viewer = request.viewer
    today = request.today
    async with request.app.uow() as uow:
        if viewer.roles & REGION_WIDE_ROLES:
            statuses = await dataset_statuses(uow, today)
            opds = {o.id: o.name for o in await uow.opds.all()}
            counts: dict[str, dict[DeadlineStatus, int]] = {}
            for s in statuses:
                per = counts.setdefault(opds[s.row.opd_id], dict.fromkeys(DeadlineStatus, 0))
                per[s.deadline.status] += 1
            worst = [
                s
                for s in statuses
                if s.deadline.status is DeadlineStatus.TERLAMBAT and may_see_metadata(viewer, s.row)
            ][:5]
            text = t.render(
                "status_overview",
                counts=sorted(counts.items()),
                worst=worst,
                opds=opds,
                today=today,
            )
            return [Reply(text)]
        if viewer.opd_id is None or not viewer.roles & OPD_ROLES:
            return [Reply(t.t("status_who"))]
        statuses = await dataset_statuses(uow, today, viewer.opd_id)
    listed = [s for s in statuses if may_see_metadata(viewer, s.row)]
    shown = listed[:MAX_STATUS_LINES]
    text = t.render(
        "status_opd",
        statuses=shown,
        more=len(listed) - len(shown),
        closed=len(statuses) - len(listed),
        today=today,
    )
    return [Reply(text)]


def _t(reader: Person, key: str, /, **context: object) -> str:
    return texts(reader.language or "id").t(key, **context)


def _title_for(reader: Person, dataset: Dataset) -> str:
    """The walidata can act on a tertutup dataset its liaisons are only told about."""
    return named_for(Viewer.of(reader), dataset, dataset.title, texts(reader.language or "id"))


def _audit(
    request: Request, uow: UnitOfWork, action: str, dataset: Dataset, period: str, **detail: str
) -> None:
    uow.audit.record(
        at=request.now,
        action=action,
        person_id=request.viewer.person_id,
        chat_id=request.incoming.chat_id,
        detail={"dataset": dataset.code, "period": period, **detail},
    )


async def _ask_walidata(
    uow: UnitOfWork,
    request: Request,
    key: str,
    message: str,
    buttons: Callable[[Person], list[list[dict[str, str]]]],
    **context: object,
) -> None:
    """Every walidata gets the question, with buttons in their own language."""
    for walidata in await uow.people.active_with_role(Role.WALIDATA):
        await tell(
            uow,
            walidata,
            f"{key}:{walidata.id}",
            message,
            request.now,
            buttons=buttons(walidata),
            **context,
        )


def _choice(reader: Person, label: str, data: str) -> dict[str, str]:
    return {"text": _t(reader, label), "data": data}


def _about(button: ReminderButton, action: ReminderAction, choice: int | None = None) -> str:
    """The data of a button that acts on the same dataset period as `button`."""
    return ReminderButton(action, button.dataset_id, button.period, choice).pack()


async def _liaisons(uow: UnitOfWork, dataset: Dataset) -> list[Person]:
    return [p for p in await uow.people.active_with_role(LIAISON) if p.opd_id == dataset.opd_id]
