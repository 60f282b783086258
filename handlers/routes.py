"""Which handler answers which command, button and text."""

from __future__ import annotations

from handlers import basic, compliance, indicators, reminder_actions
from handlers.context import App
from handlers.dispatcher import Dispatcher


def build_dispatcher(app: App) -> Dispatcher:
    dispatcher = Dispatcher(app)
    dispatcher.command("start")(basic.start)
    dispatcher.command("bantuan", "help")(basic.help_)
    dispatcher.command("data")(basic.data)
    dispatcher.callback("q")(indicators.answer_button)
    dispatcher.callback("r")(reminder_actions.on_button)
    dispatcher.command("status")(reminder_actions.status)
    dispatcher.command("kepatuhan", "compliance")(compliance.kepatuhan)
    dispatcher.text(basic.free_text)
    return dispatcher
