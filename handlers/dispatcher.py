"""Routes an incoming message to its handler and guarantees a polite answer.

Whatever a handler raises is logged and turned into an apology in the user's language:
no traceback ever reaches a chat.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from handlers.context import App, Request, Viewer
from handlers.language import detect
from handlers.messages import Attachment, Incoming, Reply
from handlers.text import tokens
from reports.i18n import texts

log = logging.getLogger(__name__)

Handler = Callable[[Request], Awaitable[list[Reply]]]
MAX_TEXT_LENGTH = 2000
PUBLIC = Viewer(person_id=None, name="", roles=frozenset(), opd_id=None, language=None)

# Commands whose name itself says which language the person wants.
COMMAND_LANGUAGE = {"help": "en", "bantuan": "id"}


class Dispatcher:
    def __init__(self, app: App) -> None:
        self.app = app
        self._commands: dict[str, Handler] = {}
        self._callbacks: dict[str, Handler] = {}
        self._text: Handler | None = None

    def command(self, *names: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            for name in names:
                self._commands[name] = handler
            return handler

        return register

    def callback(self, prefix: str) -> Callable[[Handler], Handler]:
        """Button presses whose data starts with `prefix:`."""

        def register(handler: Handler) -> Handler:
            self._callbacks[prefix] = handler
            return handler

        return register

    def text(self, handler: Handler) -> Handler:
        self._text = handler
        return handler

    @property
    def command_names(self) -> list[str]:
        return list(self._commands)

    async def handle(
        self, incoming: Incoming, now: datetime, *, render_charts: bool = True
    ) -> list[Reply]:
        """The replies to one message; `render_charts=False` leaves charts as descriptions."""
        language = self.app.deployment.language
        try:
            viewer = await self._viewer(incoming)
            language = self._language(incoming, viewer)
            request = Request(incoming, now, viewer, language, self.app)
            if len(incoming.text) > MAX_TEXT_LENGTH:
                return [
                    Reply(
                        request.texts.t(
                            "too_long", limit=MAX_TEXT_LENGTH, length=len(incoming.text)
                        )
                    )
                ]
            replies = await self._route(request)
            if render_charts:
                for reply in replies:
                    if reply.chart is not None and reply.attachment is None:
                        reply.attachment = Attachment(
                            "photo", reply.chart.filename, reply.chart.render()
                        )
            return replies
        except Exception:
            log.exception("handler failed for chat %s", incoming.chat_id)
            return [Reply(texts(language).t("internal_error"))]

    async def _route(self, request: Request) -> list[Reply]:
        incoming = request.incoming
        if incoming.callback_data is not None:
            prefix = incoming.callback_data.split(":", 1)[0]
            handler = self._callbacks.get(prefix)
            if handler is None:
                return [Reply(request.texts.t("stale_button"))]
            return await handler(request)
        command = incoming.command
        if command is not None:
            handler = self._commands.get(command[0])
            if handler is None:
                return [Reply(request.texts.t("unknown_command", command=command[0]))]
            return await handler(request)
        if not incoming.text.strip() or self._text is None:
            return [Reply(request.texts.t("empty_message"))]
        return await self._text(request)

    async def _viewer(self, incoming: Incoming) -> Viewer:
        async with self.app.uow() as uow:
            if incoming.person_id is not None:
                person = await uow.people.get(incoming.person_id)
            elif incoming.user_id is not None:
                person = await uow.people.by_telegram_id(incoming.user_id)
            else:
                person = None
            if person is None or not person.active:
                return PUBLIC
            return Viewer(person.id, person.name, person.role_names, person.opd_id, person.language)

    def _language(self, incoming: Incoming, viewer: Viewer) -> str:
        command = incoming.command
        if command and command[0] in COMMAND_LANGUAGE:
            return COMMAND_LANGUAGE[command[0]]
        if incoming.callback_data is None and command is None:
            detected = detect(tokens(incoming.text))
            if detected:
                return detected
        return viewer.language or self.app.deployment.language
