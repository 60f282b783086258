"""Which handler answers which command, button and text."""

from __future__ import annotations

from handlers import (
    audit,
    basic,
    broadcast,
    compliance,
    data_requests,
    groups,
    indicators,
    invites,
    me,
    people_admin,
    portal_sync,
    reminder_actions,
)
from handlers.context import App
from handlers.dispatcher import Dispatcher


def build_dispatcher(app: App) -> Dispatcher:
    dispatcher = Dispatcher(app)
    dispatcher.guard(groups.gate)
    dispatcher.command("start")(basic.start)
    dispatcher.command("bantuan", "help")(basic.help_)
    dispatcher.command("data")(basic.data)
    dispatcher.callback("q")(indicators.answer_button)
    dispatcher.callback("r")(reminder_actions.on_button)
    dispatcher.command("status")(reminder_actions.status)
    dispatcher.command("kepatuhan", "compliance")(compliance.kepatuhan)
    dispatcher.command("sinkron", "sync")(portal_sync.sinkron)
    dispatcher.command("siaran")(broadcast.siaran)
    dispatcher.command("batal")(broadcast.batal)
    dispatcher.callback("s")(broadcast.on_button)
    dispatcher.command("permintaan")(data_requests.permintaan)
    dispatcher.callback("d")(data_requests.on_button)
    dispatcher.intercept(broadcast.compose)
    dispatcher.intercept(data_requests.attach_answer_file)
    dispatcher.command("saya", "me")(me.saya)
    dispatcher.command("undang", "invite")(invites.undang)
    dispatcher.command("undangan", "invitations")(invites.undangan)
    dispatcher.callback("u")(invites.on_button)
    dispatcher.command("peran", "roles")(people_admin.peran)
    dispatcher.callback("p")(people_admin.on_button)
    dispatcher.command("audit")(audit.audit)
    dispatcher.command(groups.REGISTER, "register_group")(groups.register_command)
    dispatcher.callback("g")(groups.on_button)
    dispatcher.text(basic.free_text)
    return dispatcher
