"""Every chat command, declared once: its Indonesian and English names, its handler, who may
use it and how it is described. Routing (handlers.routes), the language of the answer, the
refusal of those without the role, /bantuan and both Telegram menus all read `COMMANDS`.
"""

from __future__ import annotations

from domain.terms import Role
from handlers import (
    audit,
    basic,
    broadcast,
    compliance,
    data_requests,
    groups,
    invites,
    me,
    people_admin,
    portal_sync,
    reminder_actions,
    submissions,
)
from handlers.context import Request
from handlers.dispatcher import Command
from handlers.messages import Reply
from texts.i18n import Texts

# Who may ask for a region's or an OPD's deadlines and compliance: everyone with a role.
WITH_A_ROLE = frozenset(Role)
WALIDATA = frozenset({Role.WALIDATA})


def menu(texts: Texts, *, walidata: bool = False) -> list[tuple[str, str]]:
    """(name, description) pairs in the language of `texts`, for /bantuan and the Telegram
    command menu: the commands for everyone, or with `walidata` the walidata's own."""
    return [
        (command.name(texts.language), texts.t(command.description))
        for command in COMMANDS
        if command.listed and command.for_walidata == walidata
    ]


async def help_(request: Request) -> list[Reply]:
    """/bantuan (/help): the guide, and the commands in the language asked for."""
    text = request.texts.render(
        "help",
        region=request.app.deployment.region_name,
        commands=menu(request.texts),
        admin_commands=(
            menu(request.texts, walidata=True) if Role.WALIDATA in request.viewer.roles else []
        ),
    )
    return [Reply(text)]


# In the order the menus list them.
COMMANDS: tuple[Command, ...] = (
    Command("start", "start", basic.start, "cmd_start"),
    Command("bantuan", "help", help_, "cmd_bantuan"),
    Command("data", "data", basic.data, "cmd_data"),
    Command(
        "status",
        "status",
        reminder_actions.status,
        "cmd_status",
        roles=WITH_A_ROLE,
        refusal="status_who",
    ),
    Command(
        "kepatuhan",
        "compliance",
        compliance.kepatuhan,
        "cmd_kepatuhan",
        roles=WITH_A_ROLE,
        refusal="kepatuhan_who",
    ),
    Command(
        "kirim",
        "send",
        submissions.kirim,
        "cmd_kirim",
        roles=frozenset({Role.PRODUSEN, Role.WALIDATA}),
        refusal="kirim_who",
    ),
    Command("saya", "me", me.saya, "cmd_saya"),
    Command(
        "siaran",
        "broadcast",
        broadcast.siaran,
        "cmd_siaran",
        roles=WALIDATA,
        refusal="siaran_walidata_only",
    ),
    Command(
        "batal",
        "cancel",
        broadcast.batal,
        "cmd_batal",
        roles=WALIDATA,
        refusal="siaran_walidata_only",
        listed=False,  # only meaningful while composing a broadcast, whose prompts name it
    ),
    Command(
        "permintaan",
        "requests",
        data_requests.permintaan,
        "cmd_permintaan",
        roles=WALIDATA,
        refusal="permintaan_walidata_only",
    ),
    Command(
        "sinkron",
        "sync",
        portal_sync.sinkron,
        "cmd_sinkron",
        roles=WALIDATA,
        refusal="sinkron_walidata_only",
    ),
    Command("undang", "invite", invites.undang, "cmd_undang", roles=WALIDATA),
    Command("undangan", "invitations", invites.undangan, "cmd_undangan", roles=WALIDATA),
    Command("peran", "roles", people_admin.peran, "cmd_peran", roles=WALIDATA),
    Command("audit", "audit", audit.audit, "cmd_audit", roles=WALIDATA),
    Command(
        groups.REGISTER,
        "register_group",
        groups.register_command,
        "cmd_daftarkan_grup",
        roles=WALIDATA,
    ),
)
