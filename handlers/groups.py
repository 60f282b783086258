"""Group chats: the bot speaks in a group only after a walidata registered it for a purpose.

In an unregistered group the first message that speaks to the bot is told how to register;
after that the bot is silent there (remembered in the database, so restarts do not repeat
it). `/daftarkan_grup [purpose]` registers the group, or re-registers it with another purpose;
the purpose decides what the group receives (e.g. the leadership digest).
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from handlers.access import admin_refusal
from handlers.audit import record
from handlers.context import Request
from handlers.messages import Button, Reply
from storage.models import GroupChat

REGISTER = "daftarkan_grup"
REGISTER_NAMES = frozenset({REGISTER, "register_group"})
PURPOSES = ("digest_pimpinan", "walidata", "tanya_data")
STOP = "berhenti"


async def gate(request: Request) -> list[Reply] | None:
    """None lets a group message through; a list (one hint, or nothing) answers instead."""
    incoming = request.incoming
    if not incoming.in_group or _registering(request):
        return None
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
        incoming.callback_data is not None and incoming.callback_data.startswith("g:")
    )
    return asked and "walidata" in request.viewer.roles


async def register_command(request: Request) -> list[Reply]:
    t = request.texts
    refusal = admin_refusal(request, where="group")
    if refusal is not None:
        return [refusal]
    purpose = request.incoming.argument.strip().lower()
    if purpose in (*PURPOSES, STOP):
        return await _apply(request, purpose)
    buttons = [[Button(t.t(f"purpose_{p}"), f"g:{p}")] for p in PURPOSES]
    buttons.append([Button(t.t("purpose_stop"), f"g:{STOP}")])
    intro = t.t("group_unknown_purpose", given=purpose) if purpose else t.t("group_choose_purpose")
    return [Reply(intro, buttons=buttons)]


async def on_button(request: Request) -> list[Reply]:
    refusal = admin_refusal(request, where="group")
    if refusal is not None:
        return [refusal]
    purpose = (request.incoming.callback_data or "").partition(":")[2]
    if purpose not in (*PURPOSES, STOP):
        return [Reply(request.texts.t("stale_button"))]
    return await _apply(request, purpose)


async def _apply(request: Request, purpose: str) -> list[Reply]:
    incoming = request.incoming
    async with request.app.uow() as uow:
        group = await uow.groups.get(incoming.chat_id)
        if group is None:
            group = GroupChat(chat_id=incoming.chat_id, title="")
            uow.session.add(group)
        group.title = incoming.chat_title[:200] or group.title
        if purpose == STOP:
            group.purpose, group.registered_at, group.registered_by = None, None, None
            group.hinted_at = request.now  # quiet from now on, without a new hint
            record(request, uow, "group_unregistered", title=group.title)
        else:
            group.purpose, group.registered_at = purpose, request.now
            group.registered_by = request.viewer.person_id
            record(request, uow, "group_registered", title=group.title, purpose=purpose)
        await uow.commit()
    if purpose == STOP:
        return [Reply(request.texts.t("group_stopped"))]
    label = request.texts.t(f"purpose_{purpose}")
    return [Reply(request.texts.t("group_registered", purpose=label))]
