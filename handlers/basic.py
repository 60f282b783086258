"""/start, /bantuan (/help) and /data: the commands every user has."""

from __future__ import annotations

from handlers.context import Request
from handlers.messages import Reply
from handlers.questions import answer_question
from reports.i18n import Texts

# Commands shown in menus and in /bantuan, in order.
MENU = ("start", "bantuan", "data", "status", "kepatuhan")


def menu(texts: Texts) -> list[tuple[str, str]]:
    """(command, description) pairs for /bantuan and the Telegram command menu."""
    return [(name, texts.t(f"cmd_{name}")) for name in MENU]


async def start(request: Request) -> list[Reply]:
    region = request.app.deployment.region_name
    return [Reply(request.texts.render("start", name=request.viewer.name, region=region))]


async def help_(request: Request) -> list[Reply]:
    text = request.texts.render(
        "help", region=request.app.deployment.region_name, commands=menu(request.texts)
    )
    return [Reply(text)]


async def data(request: Request) -> list[Reply]:
    command = request.incoming.command
    question = command[1] if command else ""
    if not question:
        return [Reply(request.texts.t("data_usage"))]
    return await answer_question(request, question)


async def free_text(request: Request) -> list[Reply]:
    return await answer_question(request, request.incoming.text)
