"""/start, /bantuan (/help) and /data: the commands every user has."""

from __future__ import annotations

from handlers import invites
from handlers.context import Request
from handlers.messages import Reply
from handlers.questions import answer_question
from texts.i18n import Texts

# Commands shown in menus and in /bantuan, in order; the walidata's are listed for them only.
MENU = ("start", "bantuan", "data", "status", "kepatuhan", "saya")
ADMIN_MENU = (
    "siaran",
    "permintaan",
    "sinkron",
    "undang",
    "undangan",
    "peran",
    "audit",
    "daftarkan_grup",
)


def menu(texts: Texts, names: tuple[str, ...] = MENU) -> list[tuple[str, str]]:
    """(command, description) pairs for /bantuan and the Telegram command menu."""
    return [(name, texts.t(f"cmd_{name}")) for name in names]


async def start(request: Request) -> list[Reply]:
    """/start, or `/start <token>` when someone opens an invitation link."""
    payload = request.incoming.argument
    if payload:
        return await invites.accept(request, payload)
    region = request.app.deployment.region_name
    return [Reply(request.texts.render("start", name=request.viewer.name, region=region))]


async def help_(request: Request) -> list[Reply]:
    admin = "walidata" in request.viewer.roles
    text = request.texts.render(
        "help",
        region=request.app.deployment.region_name,
        commands=menu(request.texts),
        admin_commands=menu(request.texts, ADMIN_MENU) if admin else [],
    )
    return [Reply(text)]


async def data(request: Request) -> list[Reply]:
    question = request.incoming.argument
    if not question:
        return [Reply(request.texts.t("data_usage"))]
    return await answer_question(request, question)


async def free_text(request: Request) -> list[Reply]:
    return await answer_question(request, request.incoming.text)
