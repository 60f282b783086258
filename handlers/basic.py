"""/start and /data, and free text: what every user has (/bantuan is in handlers.commands,
beside the declarations it lists)."""

from __future__ import annotations

from handlers import invites
from handlers.context import Request
from handlers.examples import example_questions
from handlers.messages import Reply
from handlers.questions import answer_question


async def start(request: Request) -> list[Reply]:
    """/start, or `/start <token>` when someone opens an invitation link."""
    payload = request.incoming.argument
    if payload:
        return await invites.accept(request, payload)
    region = request.app.deployment.region_name
    async with request.app.uow() as uow:
        examples = await example_questions(request, uow)
    text = request.texts.render("start", name=request.viewer.name, region=region, examples=examples)
    return [Reply(text)]


async def data(request: Request) -> list[Reply]:
    question = request.incoming.argument
    if not question:
        return [Reply(request.texts.t("data_usage"))]
    return await answer_question(request, question)


async def free_text(request: Request) -> list[Reply]:
    return await answer_question(request, request.incoming.text)
