"""The registry's fixed vocabularies, named once: roles, classifications, periodicities, statuses.

Each is a `StrEnum` whose values are the words stored in the database and used in imports, so
`Role.WALIDATA == "walidata"` holds and existing rows need no migration. Code compares against
these names, never against the bare words. The glossary in `docs/architecture.md` explains them.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """What a person is in the Satu Data organisation; a person may hold several."""

    WALIDATA = "walidata"  # the data steward (usually Diskominfo): administers the bot
    PIMPINAN = "pimpinan"  # officials: Bupati, Sekda, heads of Bappeda
    KEPALA_OPD = "kepala_opd"  # head of one agency
    PRODUSEN = "produsen"  # an agency's data liaison ("produsen data")


# Roles that belong to one OPD: the person is bound to it.
OPD_ROLES = frozenset({Role.KEPALA_OPD, Role.PRODUSEN})
# Roles that follow every dataset of the region, whichever OPD produces it.
REGION_WIDE_ROLES = frozenset({Role.WALIDATA, Role.PIMPINAN})
# The liaison is chased for a dataset; the other roles are escalated to.
LIAISON = Role.PRODUSEN


class Classification(StrEnum):
    """Who may see a dataset's values (Satu Data Indonesia's classification)."""

    TERBUKA = "terbuka"  # open: everyone, groups included
    TERBATAS = "terbatas"  # restricted: officials, the walidata and the producing OPD
    TERTUTUP = "tertutup"  # closed: values never in chat; the dataset itself only for walidata


class Periodicity(StrEnum):
    """How often a dataset gets a new period ("periodisitas")."""

    TAHUNAN = "tahunan"
    SEMESTERAN = "semesteran"
    TRIWULANAN = "triwulanan"
    BULANAN = "bulanan"
    MINGGUAN = "mingguan"
    HARIAN = "harian"
    SEWAKTU_WAKTU = "sewaktu-waktu"  # ad hoc: never chased


# Periodicities with a due date, which the reminder engine chases.
SCHEDULED_PERIODICITIES = tuple(p for p in Periodicity if p is not Periodicity.SEWAKTU_WAKTU)


class DeadlineStatus(StrEnum):
    """Where a dataset stands against its due date ("jatuh tempo"), most urgent first."""

    TERLAMBAT = "terlambat"  # overdue
    JATUH_TEMPO = "jatuh_tempo"  # due today
    SEGERA = "segera"  # due soon
    MUTAKHIR = "mutakhir"  # up to date


URGENCY = {status: rank for rank, status in enumerate(DeadlineStatus)}


class OutboxKind(StrEnum):
    """Why a queued message is sent: delivery reports and progress counts read this."""

    REMINDER = "reminder"  # a step of the deadline chase
    THANKS = "thanks"  # a liaison thanked when their data arrived
    NOTICE = "notice"  # a person told of a change (roles, invitations, answers)
    DIGEST = "digest"  # the weekly compliance digest
    UNREACHABLE = "unreachable"  # the walidata told of messages that could not be delivered
    REQUEST = "request"  # a data request broadcast to an agency
    REQUEST_FILE = "request_file"  # the file attached to a data request
    REQUEST_REMINDER = "request_reminder"  # a data request not answered yet
    REQUEST_PROGRESS = "request_progress"  # the walidata's running count of answers


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    UNDELIVERABLE = "undeliverable"  # blocked the bot, never linked Telegram, chat gone
    CANCELLED = "cancelled"  # no longer needed (the data arrived, a request was withdrawn)


class ExtensionStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"


class SubmissionStatus(StrEnum):
    """A liaison's file for one dataset period, from its arrival to the walidata's decision."""

    PENDING = "pending"  # checked, waiting for the walidata's pemeriksaan
    ACCEPTED = "accepted"  # loaded into the registry
    RETURNED = "returned"  # sent back to the liaison with a reason


class PushStatus(StrEnum):
    """An accepted dataset's table on its way to the region's portal."""

    PENDING = "pending"  # to be published; tried again after an outage
    DONE = "done"  # the portal holds it
    FAILED = "failed"  # the portal refused it (no right to write, no such package)
    SUPERSEDED = "superseded"  # a later acceptance's table went instead


class RequestStatus(StrEnum):
    """A walidata's data request (`/siaran`) from draft to its end."""

    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class RequestAnswer(StrEnum):
    """What an agency answered to a data request."""

    RECEIVED = "received"
    PROMISED = "promised"
    SENT = "sent"
    NOT_OURS = "not_ours"


class GroupPurpose(StrEnum):
    """What a walidata registered a group chat for; it decides what the group receives."""

    DIGEST_PIMPINAN = "digest_pimpinan"  # officials' group: the weekly compliance digest
    WALIDATA = "walidata"  # the data team's own group
    TANYA_DATA = "tanya_data"  # a group that asks for data
