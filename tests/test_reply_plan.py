"""How a reply becomes Bot API calls, the same for every Telegram library."""

from __future__ import annotations

from bot.updates import Send, plan_sends
from handlers.messages import Attachment, Button, Reply

BUTTONS = [[Button("Detail", "ans:1")]]
PHOTO = Attachment("photo", "chart.png", b"\x89PNG")


def test_a_short_caption_rides_on_the_file_with_the_buttons() -> None:
    assert plan_sends(Reply("ringkas", BUTTONS, PHOTO)) == [Send("photo", "ringkas", True)]


def test_a_long_caption_follows_the_file_and_takes_the_buttons() -> None:
    document = Attachment("document", "data.xlsx", b"PK")
    sends = plan_sends(Reply("x" * 1500, BUTTONS, document))
    assert sends == [Send("document", None, False), Send("message", "x" * 1500, True)]


def test_an_empty_text_sends_nothing() -> None:
    assert plan_sends(Reply("")) == []


def test_text_without_buttons_marks_no_part() -> None:
    sends = plan_sends(Reply("kata " * 2000))
    assert len(sends) == 3 and not any(s.buttons for s in sends)
