"""The walidata's button payloads (invitations, roles, group registration): within Telegram's
64 bytes at their largest, read back as they were written, and buttons sent before payloads
were typed still read the same."""

from __future__ import annotations

import pytest

from domain.callbacks import CallbackData, parse
from domain.telegram_limits import CALLBACK_DATA_LIMIT
from domain.terms import GroupPurpose, Role
from handlers.groups import GroupButton, Registration
from handlers.invites import InviteAction, InviteButton
from handlers.people_admin import SHAPES, PeopleAction, PeopleButton

BIGGEST_ID = 2**31 - 1  # ids are INTEGER columns on every engine
LONGEST_ROLE = max(Role, key=len)


def people_buttons() -> list[PeopleButton]:
    """Every action, with the fields its shape asks for, at their longest."""
    return [
        PeopleButton(
            action,
            BIGGEST_ID,
            LONGEST_ROLE if with_role else None,
            BIGGEST_ID if with_opd else None,
        )
        for action, (with_role, with_opd) in SHAPES.items()
    ]


LARGEST: list[CallbackData] = [
    InviteButton.choose_role(BIGGEST_ID, LONGEST_ROLE),
    InviteButton.choose_opd(BIGGEST_ID, BIGGEST_ID),
    InviteButton.revoke(BIGGEST_ID),
    *people_buttons(),
    *(GroupButton(choice) for choice in Registration),
]


@pytest.mark.parametrize("button", LARGEST, ids=lambda b: b.pack())
def test_every_payload_fits_telegram_and_reads_back(button: CallbackData) -> None:
    data = button.pack()

    assert len(data.encode()) <= CALLBACK_DATA_LIMIT
    assert type(button).unpack(data) == button
    assert parse(data) == button


def test_every_action_has_a_shape() -> None:
    assert set(SHAPES) == set(PeopleAction)
    assert {b.action for b in LARGEST if isinstance(b, InviteButton)} == set(InviteAction)


@pytest.mark.parametrize(
    ("data", "button"),
    [
        ("u:r:12:kepala_opd", InviteButton.choose_role(12, Role.KEPALA_OPD)),
        ("u:o:12:3", InviteButton.choose_opd(12, 3)),
        ("u:x:12", InviteButton.revoke(12)),
        ("p:s:7", PeopleButton(PeopleAction.SHOW, 7)),
        ("p:a:7:produsen", PeopleButton(PeopleAction.ADD, 7, Role.PRODUSEN)),
        ("p:o:7:produsen:3", PeopleButton(PeopleAction.ADD_IN_OPD, 7, Role.PRODUSEN, 3)),
        ("p:d:7:walidata", PeopleButton(PeopleAction.REMOVE, 7, Role.WALIDATA)),
        ("p:x:7", PeopleButton(PeopleAction.ASK_REVOKE, 7)),
        ("p:X:7", PeopleButton(PeopleAction.REVOKE, 7)),
        ("g:digest_pimpinan", GroupButton(Registration.DIGEST_PIMPINAN)),
        ("g:berhenti", GroupButton(Registration.STOP)),
    ],
)
def test_buttons_already_sent_keep_their_meaning(data: str, button: CallbackData) -> None:
    assert parse(data) == button
    assert button.pack() == data


@pytest.mark.parametrize(
    "data",
    [
        "u",
        "u:r:1",
        "u:r:1:raja",
        "u:o:1",
        "u:o:1:dinkes",
        "u:x:1:walidata",
        "u:z:1",
        "u:x:satu",
        "u:r:1:walidata:2",
        "p:X:1:walidata",
        "p:a:1::3",
        "g",
        "g:rapat",
        "g:tanya_data:1",
    ],
)
def test_a_payload_of_the_wrong_shape_is_not_read(data: str) -> None:
    assert parse(data) is None


def test_every_group_purpose_can_be_registered() -> None:
    assert {choice.purpose for choice in Registration} == {*GroupPurpose, None}
