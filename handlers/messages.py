"""The internal message model shared by every transport (Telegram, console, ask, tests)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Protocol

_ID = re.compile(r"[0-9]{1,18}")


@dataclass(frozen=True)
class Button:
    text: str
    data: str | None = None  # callback data, at most 64 bytes on Telegram
    url: str | None = None


@dataclass(frozen=True)
class Attachment:
    kind: Literal["photo", "document"]
    filename: str
    content: bytes


class Chart(Protocol):
    """A picture described by a handler and drawn only when it is sent."""

    @property
    def filename(self) -> str: ...

    def render(self) -> bytes: ...


@dataclass
class Reply:
    """One message to send. `data` carries the structured result behind the text (`--json`).

    A `chart` becomes a photo attachment when the dispatcher renders it.
    """

    text: str
    buttons: list[list[Button]] = field(default_factory=list)
    attachment: Attachment | None = None
    data: dict[str, Any] | None = None
    chart: Chart | None = None


@dataclass(frozen=True)
class IncomingFile:
    """A file someone sent, described but not downloaded: size is checked first, and the
    content is fetched only by a conversation that asked for a file (`fetch`, when the
    transport can)."""

    name: str
    size: int | None  # bytes, as the transport reports it (None: unknown)
    fetch: Callable[[], Awaitable[bytes]] | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Incoming:
    """One user action: a text message, a file (`text` is its caption) or a button press.

    `person_id` is set only by trusted local transports (console, ask) that act as a known
    person; Telegram updates are identified by `user_id` alone.
    """

    chat_id: int
    user_id: int | None
    text: str = ""
    callback_data: str | None = None
    chat_type: str = "private"
    user_name: str = ""
    language_code: str | None = None
    person_id: int | None = None
    chat_title: str = ""
    file: IncomingFile | None = None  # what was sent, described: size is checked first
    document: Attachment | None = None  # a file's content given up front (console, tests)

    def __post_init__(self) -> None:
        # JSON may carry a lone surrogate (a "\ud800" escape); echoed in a reply, it cannot be
        # encoded and the reply is lost. Every text that came from the sender is made
        # well-formed here, once for every transport.
        for name in ("text", "callback_data", "user_name", "chat_title"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, well_formed(value))
        if self.file is not None:
            object.__setattr__(self, "file", replace(self.file, name=well_formed(self.file.name)))

    async def fetch_document(self) -> Attachment | None:
        """The document's content: given with the message, or fetched now from Telegram."""
        if self.document is not None:
            return self.document
        if self.file is None or self.file.fetch is None:
            return None
        return Attachment("document", self.file.name, await self.file.fetch())

    @property
    def in_group(self) -> bool:
        return self.chat_type != "private"

    @property
    def command(self) -> tuple[str, str] | None:
        """`/cmd@bot args` → ("cmd", "args"); None for plain text and button presses."""
        if self.callback_data is not None or not self.text.startswith("/"):
            return None
        head, _, args = self.text[1:].partition(" ")
        name = head.split("@", 1)[0].lower()
        return (name, args.strip()) if name else None

    @property
    def argument(self) -> str:
        """What follows a command's name ("" without one)."""
        command = self.command
        return command[1] if command else ""


def button_id(text: str) -> int | None:
    """A database id from button data: ASCII digits only, small enough for every engine's
    integer columns. None for anything else: a forged button must not reach the database."""
    return int(text) if _ID.fullmatch(text) else None


def well_formed(text: str) -> str:
    """`text` with each lone surrogate replaced by U+FFFD (\ufffd), as a decoder would."""
    if text.isascii():
        return text
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
