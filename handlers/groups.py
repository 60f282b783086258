"""Group chats: the bot speaks in a group only after a walidata registered it for a purpose.

In an unregistered group the first message that speaks to the bot is told how to register;
after that the bot is silent there (remembered in the database, so restarts do not repeat
it). `/daftarkan_grup [purpose]` registers the group, or re-registers it with another purpose;
the purpose decides what the group receives (e.g. the leadership digest). The buttons that
offer the purposes carry a `GroupButton` (`g:<choice>`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.exc import IntegrityError

from domain.callbacks import SEPARATOR, CallbackData
from domain.terms import GroupPurpose, Role
from handlers import invites
from handlers.access import admin_refusal
from handlers.audit import record
from handlers.context import Request
from handlers.messages import Button, Reply
from storage.models import GroupChat

REGISTER = "daftarkan_grup"
REGISTER_NAMES = frozenset({REGISTER, "register_group"})


class Registration(StrEnum):
    """What a walidata asks of a group, by button or `/daftarkan_grup <word>`: to register it
    for a purpose, or to stop (unregister it)."""

    DIGEST_PIMPINAN = GroupPurpose.DIGEST_PIMPINAN.value
    WALIDATA = GroupPurpose.WALIDATA.value
    TANYA_DATA = GroupPurpose.TANYA_DATA.value
    STOP = "berhenti"

    @property
    def purpose(self) -> GroupPurpose | None:
        return None if self is Registration.STOP else GroupPurpose(self.value)


@dataclass(frozen=True)
class GroupButton(CallbackData, prefix="g"):
    choice: Registration


async def gate(request: Request) -> list[Reply] | None:
    """None lets a group message through; a list (one hint, or nothing) answers instead."""
    incoming = request.incoming
    if not incoming.in_group or _registering(request):
        return None
    shown = invites.token_in(incoming.text) if incoming.callback_data is None else None
    if shown is not None:  # an invitation link in any group: revoked before anyone opens it
        return await invites.seen_in_group(request, shown)
    async with request.app.uow() as uow:
        group = await uow.groups.get(incoming.chat_id)
    if group is not None and group.registered_at is not None:
        return None
    if incoming.callback_data is not None:
        return []
    try:
        async with request.app.uow() as uow:
            first = await uow.groups.claim_hint(incoming.chat_id, incoming.chat_title, request.now)
            await uow.commit()
    except IntegrityError:
        first = False  # another message of the same group claimed it a moment ago
    return [Reply(request.texts.t("group_unregistered", command=REGISTER))] if first else []


def _registering(request: Request) -> bool:
    """A walidata registering the group; anyone else trying is treated like any message."""
    incoming = request.incoming
    command = incoming.command
    asked = (command is not None and command[0] in REGISTER_NAMES) or (
        incoming.callback_data is not None
        and incoming.callback_data.startswith(GroupButton.prefix + SEPARATOR)
    )
    return asked and Role.WALIDATA in request.viewer.roles


async def register_command(request: Request) -> list[Reply]:
    t = request.texts
    refusal = admin_refusal(request, where="group")
    if refusal is not None:
        return [refusal]
    given = request.incoming.argument.strip().lower()
    if given in tuple(Registration):
        return await _apply(request, Registration(given))
    buttons = [
        [Button(t.t(_label_key(choice)), GroupButton(choice).pack())] for choice in Registration
    ]
    intro = t.t("group_unknown_purpose", given=given) if given else t.t("group_choose_purpose")
    return [Reply(intro, buttons=buttons)]


def _label_key(choice: Registration) -> str:
    return "purpose_stop" if choice is Registration.STOP else f"purpose_{choice}"


async def on_button(request: Request, button: GroupButton) -> list[Reply]:
    refusal = admin_refusal(request, where="group")
    if refusal is not None:
        return [refusal]
    return await _apply(request, button.choice)


async def _apply(request: Request, choice: Registration) -> list[Reply]:
    incoming = request.incoming
    purpose = choice.purpose
    async with request.app.uow() as uow:
        group = await uow.groups.get(incoming.chat_id)
        if group is None:
            group = GroupChat(chat_id=incoming.chat_id, title="")
            uow.groups.add(group)
        group.title = incoming.chat_title[:200] or group.title
        if purpose is None:
            group.purpose, group.registered_at, group.registered_by = None, None, None
            group.hinted_at = request.now  # quiet from now on, without a new hint
            record(request, uow, "group_unregistered", title=group.title)
        else:
            group.purpose, group.registered_at = purpose, request.now
            group.registered_by = request.viewer.person_id
            record(request, uow, "group_registered", title=group.title, purpose=purpose)
        await uow.commit()
    if purpose is None:
        return [Reply(request.texts.t("group_stopped"))]
    label = request.texts.t(f"purpose_{purpose}")
    return [Reply(request.texts.t("group_registered", purpose=label))]
