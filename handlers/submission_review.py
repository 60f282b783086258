"""The walidata's pemeriksaan of a liaison's file: accept it into the registry, or return it.

Every walidata gets the file with what the check read, its warnings and the liaison's note,
and two buttons. The first decision counts (`SubmissionRepository.decide`); whoever presses
later is told who decided. Accepting reads the stored file again and loads it in the same
transaction as the decision, the audit entry and the messages it causes, as an import does:
the dataset's latest period moves and its reminders close, and where the dataset is a package
of a portal the registry may write to, its table is queued for the portal
(`handlers.verified_table`). Returning asks for the reason the liaison is told.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from domain.callbacks import CallbackData
from domain.terms import OutboxKind, Role, SubmissionStatus
from handlers import audit, verified_table
from handlers.catalog import Catalog
from handlers.context import Request
from handlers.messages import Button, Reply
from storage.models import Dataset, OutboxMessage, Person, Submission
from storage.region_codes import kemendagri_from_bps
from storage.submission_check import read
from storage.tables.apply import ReadingApplier
from storage.tables.gazetteer import Gazetteer
from storage.tables.limits import TableFileError
from storage.tables.reading import TableContext
from storage.uow import UnitOfWork
from storage.value_import import reading_errors
from texts.i18n import Texts, texts

# Why a file goes back, as the walidata picks it; the liaison reads it in their language.
REASONS = ("reason_source", "reason_incomplete", "reason_period_region", "reason_explain")
WRITTEN = len(REASONS)  # the choice to write the reason instead
MAX_REASON = 500
# How long the walidata's next message is taken for the reason: later, it is a message again.
REASON_WAIT = timedelta(minutes=30)


class Decision(StrEnum):
    ACCEPT = "ok"
    RETURN = "back"  # without a reason: which one; with one: return it


@dataclass(frozen=True)
class SubmissionButton(CallbackData, prefix="v"):
    """`v:<decision>:<submission id>[:<reason>]` (v: verifikasi): a walidata's decision on a
    liaison's file."""

    decision: Decision
    submission_id: int
    reason: int | None = None

    def valid(self) -> bool:
        return self.reason is None or (
            self.decision is Decision.RETURN and 0 <= self.reason <= WRITTEN
        )


def context(request: Request, dataset: Dataset) -> TableContext:
    """How the dataset's tables are read in this deployment."""
    home = kemendagri_from_bps(request.app.deployment.region_code) or ""
    return TableContext(
        dataset.code,
        dataset.title,
        dataset.periodicity,
        dataset.unit,
        home_code=home,
        default_place=home,
    )


def buttons(reader: Person, submission_id: int) -> list[list[dict[str, str]]]:
    t = _texts(reader)
    return [
        [
            {
                "text": t.t("btn_accept"),
                "data": SubmissionButton(Decision.ACCEPT, submission_id).pack(),
            },
            {
                "text": t.t("btn_return"),
                "data": SubmissionButton(Decision.RETURN, submission_id).pack(),
            },
        ]
    ]


async def on_button(request: Request, button: SubmissionButton) -> list[Reply]:
    t = request.texts
    if Role.WALIDATA not in request.viewer.roles:
        return [Reply(t.t("walidata_only"))]
    async with request.app.uow() as uow:
        submission = await uow.submissions.get(button.submission_id)
        dataset = await uow.datasets.get(submission.dataset_id) if submission else None
        if submission is None or dataset is None:
            return [Reply(t.t("stale_button"))]
        if submission.status != SubmissionStatus.PENDING:
            return [await _decided(uow, request, submission, dataset)]
        if button.decision is Decision.RETURN and button.reason is None:
            choices = [
                [Button(t.t(key), SubmissionButton(Decision.RETURN, submission.id, index).pack())]
                for index, key in enumerate((*REASONS, "reason_write"))
            ]
            return [Reply(t.t("return_which_reason", title=dataset.title), buttons=choices)]
        if button.decision is Decision.RETURN and button.reason == WRITTEN:
            submission.reason_by = request.viewer.person_id
            submission.reason_asked_at = request.now
            await uow.commit()
            return [Reply(t.t("return_write_reason", title=dataset.title))]
        if button.decision is Decision.RETURN:
            assert button.reason is not None  # valid() lets no other through
            return await _return(request, uow, submission, dataset, REASONS[button.reason])
        replies = await _accept(request, uow, submission, dataset)
    if submission.status == SubmissionStatus.ACCEPTED:
        async with request.app.uow() as uow:
            request.app.catalog = await Catalog.load(uow)  # its categories and periods moved
    return replies


async def written_reason(request: Request) -> list[Reply] | None:
    """The message of a walidata who chose to write why a file goes back: the reason."""
    incoming, viewer = request.incoming, request.viewer
    if (
        Role.WALIDATA not in viewer.roles
        or viewer.person_id is None
        or incoming.in_group
        or incoming.file is not None
        or incoming.document is not None
        or not incoming.text.strip()
    ):
        return None
    async with request.app.uow() as uow:
        since = request.now - REASON_WAIT
        submission = await uow.submissions.awaiting_reason(viewer.person_id, since)
        dataset = await uow.datasets.get(submission.dataset_id) if submission else None
        if submission is None or dataset is None:
            return None
        reason = " ".join(incoming.text.split())[:MAX_REASON]
        return await _return(request, uow, submission, dataset, reason)


def reason_text(t: Texts, reason: str) -> str:
    """A chosen reason in the reader's language; a written one as it was written."""
    return t.t(reason) if reason in REASONS else reason


async def _accept(
    request: Request, uow: UnitOfWork, submission: Submission, dataset: Dataset
) -> list[Reply]:
    t = request.texts
    gazetteer = Gazetteer.default()
    file = submission.file
    try:
        pairs = await asyncio.to_thread(
            read, file.content, file.name, context(request, dataset), gazetteer
        )
    except TableFileError as error:
        return [Reply(t.t("accept_failed", title=dataset.title, errors=[str(error)]))]
    problems = [line for table, reading in pairs for line in reading_errors(table.name, reading)]
    if problems:  # the registry moved since the check: nothing is written
        return [Reply(t.t("accept_failed", title=dataset.title, errors=problems[:10]))]
    # The decision first: it takes the write lock, so a walidata pressing at the same moment
    # waits for it here and then finds the file decided, before writing any value.
    if not await uow.submissions.decide(
        submission.id, SubmissionStatus.ACCEPTED, request.viewer.person_id, request.now, ""
    ):
        return [await _decided_meanwhile(uow, request, submission, dataset)]
    applier = ReadingApplier(uow, gazetteer.place, request.now)
    stats = await applier.apply(dataset, [reading for _, reading in pairs], prune=False)
    problems = [problem.reason for problem in stats.problems]
    if problems:  # left without a commit: the decision is undone with the values
        return [Reply(t.t("accept_failed", title=dataset.title, errors=problems[:10]))]
    submission.status = SubmissionStatus.ACCEPTED
    _audit(request, uow, "submission_accepted", submission, dataset, loaded=stats.loaded)
    await _tell(uow, request, submission, dataset, "submission_accepted_liaison")
    await _tell_walidata(uow, request, submission, dataset, "submission_accepted_others")
    to_portal = await verified_table.queue(request, uow, dataset, submission)
    await uow.commit()
    return [
        Reply(
            t.t(
                "submission_accepted",
                title=dataset.title,
                period=submission.period,
                loaded=stats.loaded,
                changed=stats.changed,
                revised=stats.revised,
                portal=request.app.portal.portal.name if to_portal and request.app.portal else "",
            )
        )
    ]


async def _return(
    request: Request, uow: UnitOfWork, submission: Submission, dataset: Dataset, reason: str
) -> list[Reply]:
    t = request.texts
    if not await uow.submissions.decide(
        submission.id, SubmissionStatus.RETURNED, request.viewer.person_id, request.now, reason
    ):
        return [await _decided_meanwhile(uow, request, submission, dataset)]
    submission.status, submission.reason = SubmissionStatus.RETURNED, reason
    _audit(request, uow, "submission_returned", submission, dataset, reason=reason)
    await _tell(uow, request, submission, dataset, "submission_returned_liaison")
    await _tell_walidata(uow, request, submission, dataset, "submission_returned_others")
    await uow.commit()
    return [Reply(t.t("submission_returned", title=dataset.title, reason=reason_text(t, reason)))]


async def _decided_meanwhile(
    uow: UnitOfWork, request: Request, submission: Submission, dataset: Dataset
) -> Reply:
    """Another walidata's decision came first, after this one's button was read."""
    await uow.session.refresh(submission)
    return await _decided(uow, request, submission, dataset)


async def _decided(
    uow: UnitOfWork, request: Request, submission: Submission, dataset: Dataset
) -> Reply:
    decider = await uow.people.get(submission.decided_by) if submission.decided_by else None
    return Reply(
        request.texts.t(
            "submission_already_decided",
            title=dataset.title,
            status=submission.status,
            person=decider.name if decider else "",
        )
    )


async def _tell(
    uow: UnitOfWork, request: Request, submission: Submission, dataset: Dataset, key: str
) -> None:
    liaison = await uow.people.get(submission.submitted_by)
    if liaison is not None and liaison.active:
        _notify(uow, request, liaison, submission, dataset, key)


async def _tell_walidata(
    uow: UnitOfWork, request: Request, submission: Submission, dataset: Dataset, key: str
) -> None:
    """The other walidata, so nobody presses a button that no longer decides anything."""
    for person in await uow.people.active_with_role(Role.WALIDATA):
        if person.id != request.viewer.person_id:
            _notify(uow, request, person, submission, dataset, key)


def _notify(
    uow: UnitOfWork,
    request: Request,
    person: Person,
    submission: Submission,
    dataset: Dataset,
    key: str,
) -> None:
    t = _texts(person)
    uow.outbox.add(
        OutboxMessage.to_person(
            person,
            key=f"submission:{submission.id}:{key}:{person.id}",
            kind=OutboxKind.NOTICE,
            text=t.t(
                key,
                title=dataset.title,
                code=dataset.code,
                period=submission.period,
                walidata=request.viewer.name,
                reason=reason_text(t, submission.reason),
            ),
            now=request.now,
        )
    )


def _audit(
    request: Request,
    uow: UnitOfWork,
    action: str,
    submission: Submission,
    dataset: Dataset,
    **detail: object,
) -> None:
    audit.record(
        request,
        uow,
        action,
        submission=submission.id,
        dataset=dataset.code,
        period=submission.period,
        **detail,
    )


def _texts(person: Person) -> Texts:
    return texts(person.language or "id")
