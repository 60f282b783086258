"""A fake Telegram Bot API: a real HTTP server on 127.0.0.1 for end-to-end transport tests.

It implements the methods the bot uses, records every call, queues updates for getUpdates
(long polling included), and injects failures on demand: 429 with retry_after, 5xx,
timeouts (a response slower than the client waits), 403 (user blocked the bot) and calls held
open until the test lets them go (to stop or cancel the bot while it waits for one). The
lifecycle, fault queues and `wait_for` come from `tests.fake_server.FakeServer`.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import random
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fake_server import FakeServer, Fault

BOT_USER = {
    "id": 7000000001,
    "is_bot": True,
    "first_name": "Satu Data",
    "username": "satudata_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}


TOKEN = "123456:TEST-token-for-the-fake-bot-api"  # what the `api` fixture's fake accepts
HANG_SECONDS = 3600.0  # a "hang" lasts until released: this is only a backstop


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    files: dict[str, bytes]
    at: float


@dataclass
class FakeBotApi(FakeServer):
    """Fault kinds: "429", "500", "502", "timeout" (a lost request), "403", and "hang": no
    answer until `release()` (or the fake stops), then the usual one."""

    tokens: set[str]
    # A "timeout" holds the answer this long (or until the fake stops): longer than any client
    # waits, so the client gives up, as it would on a lost request.
    timeout_delay: float = 60.0
    send_delay: float = 0.0  # how long each send takes, so a test can interrupt mid-batch
    blocked: set[int] = field(default_factory=set)  # chats whose user blocked the bot
    gone: set[int] = field(default_factory=set)  # chats Telegram does not know (deleted)
    random_faults: dict[str, tuple[str, float]] = field(default_factory=dict)
    _random: random.Random = field(default_factory=lambda: random.Random(7))
    calls: list[Call] = field(default_factory=list)
    _updates: list[dict[str, Any]] = field(default_factory=list)
    _update_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _message_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(100))
    _new_update: asyncio.Event = field(default_factory=asyncio.Event)
    uploads: dict[str, bytes] = field(default_factory=dict)  # file_id → content
    hanging: dict[str, int] = field(default_factory=dict)  # method → calls held open now
    _release: asyncio.Event = field(default_factory=asyncio.Event)

    # -- lifecycle ---------------------------------------------------------------------------

    def application(self) -> web.Application:
        return web.Application(client_max_size=60 * 1024 * 1024)

    def routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/_calls", self._calls)
        app.router.add_get("/file/bot{token}/documents/{file_id}", self._download)

    @property
    def base_url(self) -> str:
        return f"{self.origin}/bot"

    # -- what tests drive ----------------------------------------------------------------------

    def push_message(
        self,
        text: str,
        chat_id: int = 501,
        user_id: int = 501,
        chat_type: str = "private",
        language_code: str = "id",
    ) -> None:
        self._push(self.message_update(text, chat_id, user_id, chat_type, language_code))

    def message_update(
        self,
        text: str,
        chat_id: int = 501,
        user_id: int = 501,
        chat_type: str = "private",
        language_code: str = "id",
    ) -> dict[str, Any]:
        """A text message as getUpdates (or a webhook post) carries it."""
        user = {
            "id": user_id,
            "is_bot": False,
            "first_name": "Pengguna",
            "language_code": language_code,
        }
        chat = {"id": chat_id, "type": chat_type}
        if chat_type != "private":
            chat["title"] = "Grup Uji"
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": chat,
            "from": user,
            "text": text,
        }
        if text.startswith("/"):
            length = len(text.split()[0])
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return {"message": message, "update_id": next(self._update_ids)}

    def push_document(
        self,
        file_name: str,
        file_size: int,
        chat_id: int = 501,
        user_id: int = 501,
        caption: str | None = None,
        content: bytes | None = None,
    ) -> None:
        """A file message; with `content`, getFile and the file URL serve it."""
        user = {"id": user_id, "is_bot": False, "first_name": "Pengguna", "language_code": "id"}
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "from": user,
            "document": {
                "file_id": (file_id := f"doc{next(self._update_ids)}"),
                "file_unique_id": "udoc",
                "file_name": file_name,
                "file_size": file_size,
            },
        }
        if content is not None:
            self.uploads[file_id] = content
        if caption is not None:
            message["caption"] = caption
        self._push({"message": message, "update_id": next(self._update_ids)})

    def push_callback(self, data: str, chat_id: int = 501, user_id: int = 501) -> None:
        self._push(self.callback_update(data, chat_id, user_id))

    def callback_update(self, data: str, chat_id: int = 501, user_id: int = 501) -> dict[str, Any]:
        """A button press under one of the bot's messages."""
        user = {"id": user_id, "is_bot": False, "first_name": "Pengguna", "language_code": "id"}
        return {
            "update_id": next(self._update_ids),
            "callback_query": {
                "id": f"cb{next(self._update_ids)}",
                "from": user,
                "chat_instance": "ci1",
                "data": data,
                "message": {
                    "message_id": 1,
                    "date": int(time.time()),
                    "chat": {"id": chat_id, "type": "private"},
                    "from": BOT_USER,
                    "text": "pilih",
                },
            },
        }

    def release(self) -> None:
        """Let every call held open by a "hang" fault, and every later one, be answered."""
        self._release.set()

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def sent_to(self, chat_id: int) -> list[Call]:
        sending = ("sendMessage", "sendPhoto", "sendDocument")
        return [
            c
            for c in self.calls
            if c.method in sending and str(c.params.get("chat_id")) == str(chat_id)
        ]

    def describe_calls(self) -> str:
        return str([c.method for c in self.calls])

    # -- the API ---------------------------------------------------------------------------------

    def _push(self, update: dict[str, Any]) -> None:
        self._updates.append(update)
        self._new_update.set()

    async def _handle(self, request: web.Request) -> web.Response:
        arrived = time.monotonic()  # Telegram counts a request when it comes, not when answered
        token, method = request.match_info["token"], request.match_info["method"]
        if token not in self.tokens:
            return _error(401, "Unauthorized")
        params, files = await _read_params(request)
        fault = self._next_fault(method)
        if fault is not None and fault.kind == "hang":
            self.hanging[method] = self.hanging.get(method, 0) + 1
            try:
                await self.hold(HANG_SECONDS, wake=self._release)
            finally:
                self.hanging[method] -= 1
            fault = None
        if fault is not None:
            if fault.kind == "timeout":
                # The request is lost: the client gives up first and nothing was delivered.
                await self.hold(self.timeout_delay)
                return _error(504, "Gateway Timeout")
            if fault.kind == "429":
                return _error(
                    429,
                    f"Too Many Requests: retry after {fault.retry_after}",
                    {"retry_after": fault.retry_after},
                )
            elif fault.kind == "403":
                return _error(403, "Forbidden: bot was blocked by the user")
            else:
                return _error(int(fault.kind), "Internal Server Error")
        if method == "getUpdates":
            return _ok(await self._get_updates(params))
        if method.startswith("send"):
            if self.send_delay:
                await asyncio.sleep(self.send_delay)
            if int(params.get("chat_id", 0)) in self.blocked:
                return _error(403, "Forbidden: bot was blocked by the user")
            if int(params.get("chat_id", 0)) in self.gone:
                return _error(400, "Bad Request: chat not found")
        self.calls.append(Call(method, params, files, arrived))
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return _error(404, "Not Found: method not found")
        try:
            return _ok(handler(params, files))
        except _BadRequest as error:
            return _error(400, str(error))

    async def _calls(self, request: web.Request) -> web.Response:
        """Everything received so far, for a test or benchmark in another process."""
        return web.json_response(
            [{"method": c.method, "params": c.params, "at": c.at} for c in self.calls]
        )

    def _next_fault(self, method: str) -> Fault | None:
        queued = super()._next_fault(method)
        if queued is not None:
            return queued
        kind, probability = self.random_faults.get(method, ("", 0.0))
        return Fault(kind) if kind and self._random.random() < probability else None

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset", 0) or 0)
        timeout = float(params.get("timeout", 0) or 0)
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        if not self._updates and timeout > 0 and not self.stopping:
            self._new_update.clear()
            await self.hold(timeout, wake=self._new_update)
        limit = int(params.get("limit", 100) or 100)
        return [u for u in self._updates if u["update_id"] >= offset][:limit]

    def _message(self, params: dict[str, Any], **extra: Any) -> dict[str, Any]:
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": int(params["chat_id"]), "type": "private"},
            "from": BOT_USER,
            **extra,
        }
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        return message

    def _m_getMe(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        return BOT_USER

    def _m_deleteWebhook(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        return True

    def _m_setWebhook(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        return True

    def _m_setMyCommands(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        return True

    def _m_answerCallbackQuery(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        return True

    def _m_sendMessage(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        if len(params.get("text", "")) > 4096:
            raise _BadRequest("Bad Request: message is too long")
        return self._message(params, text=params["text"])

    def _m_sendPhoto(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        file_id = self._file(params, files, "photo")
        photo = [{"file_id": file_id, "file_unique_id": file_id[:8], "width": 800, "height": 600}]
        return self._message(params, photo=photo, caption=params.get("caption"))

    def _m_sendDocument(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        file_id = self._file(params, files, "document")
        document = {"file_id": file_id, "file_unique_id": file_id[:8]}
        return self._message(params, document=document, caption=params.get("caption"))

    def _file(self, params: dict[str, Any], files: dict[str, bytes], field: str) -> str:
        """Keep an upload under an id of its content; accept an id only if it was uploaded."""
        if len(params.get("caption") or "") > 1024:
            raise _BadRequest("Bad Request: message caption is too long")
        if field in files:
            file_id = f"{field}-{hashlib.sha256(files[field]).hexdigest()[:16]}"
            self.uploads[file_id] = files[field]
            return file_id
        if params.get(field) in self.uploads:
            return str(params[field])
        raise _BadRequest("Bad Request: wrong file identifier/HTTP URL specified")

    def file_of(self, call: Call) -> bytes:
        """The content a send carried, uploaded with it or referred to by id."""
        field = "photo" if call.method == "sendPhoto" else "document"
        return call.files.get(field) or self.uploads[call.params[field]]

    def _m_getFile(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        file_id = str(params.get("file_id"))
        if file_id not in self.uploads:
            raise _BadRequest("Bad Request: invalid file_id")
        size = len(self.uploads[file_id])
        return {"file_id": file_id, "file_unique_id": file_id[:8], "file_size": size,
                "file_path": f"documents/{file_id}"}  # fmt: skip

    async def _download(self, request: web.Request) -> web.Response:
        if request.match_info["token"] not in self.tokens:
            return web.Response(status=401)
        content = self.uploads.get(request.match_info["file_id"])
        if content is None:
            return web.Response(status=404)
        self.calls.append(Call("download", dict(request.match_info), {}, time.monotonic()))
        return web.Response(body=content)

    def _m_editMessageText(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        return self._message(params, text=params["text"])


class _BadRequest(Exception):
    pass


async def _read_params(request: web.Request) -> tuple[dict[str, Any], dict[str, bytes]]:
    """Form or multipart bodies (what bot libraries send), and JSON bodies."""
    params: dict[str, Any] = dict(request.query)
    files: dict[str, bytes] = {}
    if request.content_type == "application/json":
        params.update(await request.json())
    elif request.can_read_body:
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                files[key] = value.file.read()
            else:
                params[key] = value
    for key in ("reply_markup", "commands"):
        if isinstance(params.get(key), str):
            params[key] = json.loads(params[key])
    # A file may be uploaded under a name of its own and referred to as `attach://<name>`.
    for key, value in list(params.items()):
        name = value.removeprefix("attach://") if isinstance(value, str) else None
        if name != value and name in files:
            files[key] = files.pop(name)
            del params[key]
    return params, files


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _error(code: int, description: str, parameters: dict[str, Any] | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=code)


async def serve_forever(port: int, token: str, fault_rate: float) -> None:
    """The fake API in a process of its own (benchmarks): its clock is not disturbed by the
    client's work, so the arrival times it records are what Telegram would see."""
    server = FakeBotApi(tokens={token}, random_faults={"sendMessage": ("429", fault_rate)})
    await server.start(port)
    print(f"ready {server.port}", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    import sys

    asyncio.run(serve_forever(int(sys.argv[1]), sys.argv[2], float(sys.argv[3])))
