"""Console transport: the same handlers as Telegram, in a terminal or behind a pipe.

Buttons are printed as numbered choices; typing the number presses the button. Pictures and
files are written under `var/attachments/` and their path is printed.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from handlers.dispatcher import Dispatcher
from handlers.messages import Attachment, Button, Incoming, Reply
from storage.private_files import private_folder, write_private

CONSOLE_CHAT_ID = 0
ATTACHMENTS = Path("var/attachments")


def save_attachment(attachment: Attachment, directory: Path = ATTACHMENTS) -> Path:
    return write_private(private_folder(directory) / attachment.filename, attachment.content)


def render_reply(reply: Reply) -> str:
    lines = [reply.text]
    number = 0
    for row in reply.buttons:
        for button in row:
            number += 1
            target = f" → {button.url}" if button.url else ""
            lines.append(f"  [{number}] {button.text}{target}")
    if reply.attachment is not None:
        lines.append(f"  ({reply.attachment.kind}: {save_attachment(reply.attachment)})")
    return "\n".join(lines)


async def run_console(
    dispatcher: Dispatcher,
    person_id: int | None,
    stdin: TextIO = sys.stdin,
    stdout: TextIO = sys.stdout,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> None:
    interactive = stdin.isatty()
    buttons: list[Button] = []
    while True:
        if interactive:
            print("> ", end="", file=stdout, flush=True)
        line = await asyncio.to_thread(stdin.readline)
        if not line:
            break
        text = line.rstrip("\n")
        if not text.strip():
            continue
        choice = text.strip()
        if choice.isdigit() and 1 <= int(choice) <= len(buttons) and buttons[int(choice) - 1].data:
            incoming = Incoming(
                CONSOLE_CHAT_ID,
                None,
                callback_data=buttons[int(choice) - 1].data,
                person_id=person_id,
            )
        else:
            incoming = Incoming(CONSOLE_CHAT_ID, None, text=text, person_id=person_id)
        replies = await dispatcher.handle(incoming, clock())
        buttons = [button for reply in replies for row in reply.buttons for button in row]
        for reply in replies:
            print(render_reply(reply), file=stdout, flush=True)
        print(file=stdout, flush=True)
