"""Telegram's size limits and how replies and outbox messages are fitted into them."""

from __future__ import annotations

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64

# The bot-wide send rate (see reminders.send_budget for how a slot is held).
PER_SECOND = 30.0  # sends are spaced evenly at this rate (a leaky bucket)
WINDOW = 30  # and at most this many reach Telegram within any one second
# Each send has its turn on a fixed grid of 1/PER_SECOND; one that leaves up to this share of a
# turn late (waking up, asking the database) does not push every later turn back.
LATENESS = 0.5


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Cut a long reply into messages at line breaks, else at spaces, never mid-word if avoidable.

    Nothing is dropped: joining the chunks gives back the text, less the whitespace at the cuts.
    """
    chunks: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit + 1)
        if cut <= 0:
            cut = rest.rfind(" ", 0, limit + 1)
        if cut <= 0:
            cut = limit
        chunks.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        chunks.append(rest)
    return chunks


def fit_with_file(text: str, has_file: bool) -> list[str]:
    """The texts of the messages that carry `text` (and a file, on the first message).

    A file takes the text as its caption when it fits; otherwise the file goes first with the
    text's opening line as caption, and the whole text follows in as many messages as needed.
    """
    if not has_file:
        return split_text(text)
    if len(text) <= CAPTION_LIMIT:
        return [text]
    caption = text.strip().split("\n", 1)[0][:CAPTION_LIMIT]
    return [caption, *split_text(text)]
