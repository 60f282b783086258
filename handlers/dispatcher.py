"""Routes an incoming message to its handler and guarantees a polite answer.

Before any handler runs: the sender's rate limit, the message's size (text and files), and
the guards (e.g. a group must be registered). Whatever a handler raises is logged and turned
into an apology in the user's language: no traceback ever reaches a chat.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from domain.access import Viewer
from domain.callbacks import CallbackData
from domain.terms import Role
from handlers.context import App, Request
from handlers.language import detect, from_language_code
from handlers.messages import Attachment, Incoming, Reply
from handlers.ratelimit import Verdict
from handlers.text import tokens
from texts.i18n import texts

log = logging.getLogger(__name__)

Handler = Callable[[Request], Awaitable[list[Reply]]]
P = TypeVar("P", bound=CallbackData)
# A button press, with its payload already parsed and checked (see domain.callbacks).
ButtonHandler = Callable[[Request, P], Awaitable[list[Reply]]]
# A guard answers instead of the handler (a list, possibly empty: silence) or lets it pass.
Guard = Callable[[Request], Awaitable[list[Reply] | None]]
# Sees plain messages first and answers those that belong to a conversation in progress
# (a walidata composing a broadcast); None lets the message through.
Interceptor = Callable[[Request], Awaitable[list[Reply] | None]]
MAX_TEXT_LENGTH = 2000
MAX_FILE_BYTES = 10 * 1024 * 1024
PUBLIC = Viewer(person_id=None, name="", roles=frozenset(), opd_id=None, language=None)


@dataclass(frozen=True)
class Command:
    """One chat command, declared once (see handlers.commands): routing, who may use it,
    menus and /bantuan all read this, so they cannot disagree.

    Both names work for everyone; the one typed says which language the person wants. A
    command whose names are the same (/start, /data) leaves the language to the person.
    `roles` None lets everyone through; otherwise the dispatcher answers anyone without one
    of them with `refusal` (a catalogue key), and the handler never runs. `listed` commands
    appear in the menus and /bantuan; those for the walidata alone only for the walidata.
    """

    id_name: str
    en_name: str
    handler: Handler
    description: str  # catalogue key of its line in the menus and /bantuan
    roles: frozenset[Role] | None = None
    refusal: str = "walidata_only_action"
    listed: bool = True

    @property
    def names(self) -> tuple[str, ...]:
        return (self.id_name,) if self.id_name == self.en_name else (self.id_name, self.en_name)

    @property
    def for_walidata(self) -> bool:
        """Listed apart, as the walidata's own commands."""
        return self.roles == frozenset({Role.WALIDATA})

    def name(self, language: str) -> str:
        return self.en_name if language == "en" else self.id_name

    def language(self, name: str) -> str | None:
        """The language `name` is a word of; None when both languages share it."""
        if self.id_name == self.en_name:
            return None
        return "en" if name == self.en_name else "id"

    def allows(self, viewer: Viewer) -> bool:
        return self.roles is None or bool(viewer.roles & self.roles)


class Dispatcher:
    def __init__(self, app: App) -> None:
        self.app = app
        self._commands: dict[str, Command] = {}
        self._buttons: dict[str, tuple[type[CallbackData], ButtonHandler[Any]]] = {}
        self._text: Handler | None = None
        self._guards: list[Guard] = []
        self._interceptors: list[Interceptor] = []

    def command(self, declared: Command) -> None:
        """Answers `declared` under each of its names."""
        for name in declared.names:
            if name in self._commands:
                raise ValueError(f"command /{name} registered twice")
            self._commands[name] = declared

    def button(self, payload: type[P]) -> Callable[[ButtonHandler[P]], ButtonHandler[P]]:
        """Presses of buttons carrying `payload`; the handler gets it parsed. A press whose
        data does not parse (forged, truncated, from an older version) gets the stale-button
        answer without reaching the handler."""

        def register(handler: ButtonHandler[P]) -> ButtonHandler[P]:
            if payload.prefix in self._buttons:
                raise ValueError(f"button prefix {payload.prefix!r} registered twice")
            self._buttons[payload.prefix] = (payload, handler)
            return handler

        return register

    def text(self, handler: Handler) -> Handler:
        self._text = handler
        return handler

    def guard(self, guard: Guard) -> Guard:
        self._guards.append(guard)
        return guard

    def intercept(self, interceptor: Interceptor) -> Interceptor:
        self._interceptors.append(interceptor)
        return interceptor

    @property
    def command_names(self) -> list[str]:
        return list(self._commands)

    async def handle(
        self, incoming: Incoming, now: datetime, *, render_charts: bool = True
    ) -> list[Reply]:
        """The replies to one message; `render_charts=False` leaves charts as descriptions."""
        language = self.app.deployment.language
        try:
            language = self._language(incoming, PUBLIC)
            limited = self._rate_limited(incoming, now, language)
            if limited is not None:
                return limited
            viewer = await self._viewer(incoming)
            language = self._language(incoming, viewer)
            request = Request(incoming, now, viewer, language, self.app)
            for guard in self._guards:
                guarded = await guard(request)
                if guarded is not None:
                    return guarded
            too_large = _too_large(request)
            if too_large is not None:
                return [too_large]
            if incoming.callback_data is None and incoming.command is None:
                for interceptor in self._interceptors:
                    intercepted = await interceptor(request)
                    if intercepted is not None:
                        return intercepted
            refusal = _refusal(request)
            if refusal is not None:
                return [refusal]
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
            registered = self._buttons.get(prefix)
            payload = registered[0].unpack(incoming.callback_data) if registered else None
            if registered is None or payload is None:
                return [Reply(request.texts.t("stale_button"))]
            return await registered[1](request, payload)
        command = incoming.command
        if command is not None:
            declared = self._commands.get(command[0])
            if declared is None:
                return [Reply(request.texts.t("unknown_command", command=command[0]))]
            if not declared.allows(request.viewer):
                return [Reply(request.texts.t(declared.refusal))]
            return await declared.handler(request)
        if not incoming.text.strip() or self._text is None:
            return [Reply(request.texts.t("empty_message"))]
        return await self._text(request)

    def _rate_limited(self, incoming: Incoming, now: datetime, language: str) -> list[Reply] | None:
        """Checked before the database is touched, so a flood costs next to nothing."""
        limiter = self.app.limiter
        verdict = limiter.check(incoming.user_id, now)
        if verdict is Verdict.ALLOW:
            return None
        if verdict is Verdict.SILENT or incoming.user_id is None:
            return []
        seconds = limiter.wait_seconds(incoming.user_id, now)
        text = texts(language).t("rate_limited", limit=limiter.per_minute, seconds=seconds)
        return [Reply(text)]

    async def _viewer(self, incoming: Incoming) -> Viewer:
        """Read from the database on every message: a role taken away counts at once."""
        async with self.app.uow() as uow:
            if incoming.person_id is not None:
                person = await uow.people.get(incoming.person_id)
            elif incoming.user_id is not None:
                person = await uow.people.by_telegram_id(incoming.user_id)
            else:
                person = None
            return Viewer.of(person, in_group=incoming.in_group)

    def _language(self, incoming: Incoming, viewer: Viewer) -> str:
        """The command's name if it has a language, else the language a question is written
        in, else the person's own, else their Telegram app's, else the deployment's."""
        command = incoming.command
        if command is not None:
            declared = self._commands.get(command[0])
            named = declared.language(command[0]) if declared is not None else None
            if named is not None:
                return named
        elif incoming.callback_data is None:
            detected = detect(tokens(incoming.text))
            if detected:
                return detected
        return (
            viewer.language
            or from_language_code(incoming.language_code)
            or self.app.deployment.language
        )


def _too_large(request: Request) -> Reply | None:
    """A file over the limit is refused with the reason; it was described, never fetched."""
    file = request.incoming.file
    if file is None or file.size is None or file.size <= MAX_FILE_BYTES:
        return None
    return Reply(
        request.texts.t(
            "file_too_large",
            name=file.name,
            size=file.size / 1024 / 1024,
            limit=MAX_FILE_BYTES // 1024 // 1024,
        )
    )


def _refusal(request: Request) -> Reply | None:
    """What no conversation in progress took: text over the limit, or a file (files are read
    only as a broadcast's attachment or a data request's answer)."""
    incoming, t = request.incoming, request.texts
    if len(incoming.text) > MAX_TEXT_LENGTH:
        return Reply(t.t("too_long", limit=MAX_TEXT_LENGTH, length=len(incoming.text)))
    if incoming.file is not None:
        return Reply(t.t("file_not_read", name=incoming.file.name))
    return None
