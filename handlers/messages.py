"""The internal message model shared by every transport (Telegram, console, ask, tests)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol


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

    filename: str

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
class Incoming:
    """One user action: a text message or a button press.

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

    @property
    def command(self) -> tuple[str, str] | None:
        """`/cmd@bot args` → ("cmd", "args"); None for plain text and button presses."""
        if self.callback_data is not None or not self.text.startswith("/"):
            return None
        head, _, args = self.text[1:].partition(" ")
        name = head.split("@", 1)[0].lower()
        return (name, args.strip()) if name else None
