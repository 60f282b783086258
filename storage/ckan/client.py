"""A small async client for the CKAN Action API, hardened for regional portals.

Regional portals run on modest servers behind proxies: they time out, answer 502/503 while
restarting and 429 when busy. Transient failures are retried with exponential backoff (a 429
waits for its Retry-After); what still fails becomes `PortalUnavailable`, which the sync
treats as "portal down, change nothing". CKAN reports most errors inside an HTTP 200 envelope
(`success: false`), which become `ActionError` with CKAN's error type.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from storage.portal.source import PortalUnavailable

__all__ = ["ActionError", "ActionUnavailable", "CkanClient", "PortalUnavailable", "solr_time"]

RETRYABLE_STATUS = frozenset({500, 502, 503, 504})
MAX_RETRY_AFTER = 300.0  # a portal asking for more than 5 minutes is treated as down


class ActionUnavailable(Exception):
    """The portal does not offer this action (e.g. search disabled or not installed)."""

    def __str__(self) -> str:
        return f"{self.args[0]} tidak tersedia di portal"


class ActionError(Exception):
    """CKAN answered with `success: false`; `kind` is its `__type` ("Not Found Error", ...)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(f"{kind}: {message}")
        self.kind = kind


class CkanClient:
    """`await client.action("package_show", id=...)` → the `result` of the envelope.

    `requests` counts HTTP requests made (retries included), so a caller can check what a
    sync cost. `sleep` is injectable so waiting can be observed instead of spent.
    """

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        http: httpx.AsyncClient | None = None,
        timeout: float = 30.0,
        attempts: int = 5,
        backoff: float = 1.0,
        max_backoff: float = 30.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self._own_http = http is None
        self.http = http or httpx.AsyncClient(timeout=httpx.Timeout(timeout, connect=10.0))
        self.attempts = attempts
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.sleep = sleep
        self.requests = 0

    async def close(self) -> None:
        if self._own_http:
            await self.http.aclose()

    async def __aenter__(self) -> CkanClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def action(self, name: str, **params: Any) -> Any:
        url = f"{self.base_url}/api/3/action/{name}"
        headers = {"Authorization": self.token} if self.token else {}
        query = {k: _param(v) for k, v in params.items() if v is not None}
        problem = ""
        for attempt in range(1, self.attempts + 1):
            self.requests += 1
            try:
                response = await self.http.get(url, params=query, headers=headers)
            except httpx.TimeoutException:
                problem = f"{name}: tidak ada jawaban dalam batas waktu"
            except httpx.TransportError as error:
                problem = f"{name}: koneksi gagal ({error.__class__.__name__})"
            else:
                if response.status_code == 429:
                    wait = _retry_after(response)
                    if wait > MAX_RETRY_AFTER:
                        raise PortalUnavailable(f"{name}: portal meminta menunggu {wait:.0f} detik")
                    problem = f"{name}: HTTP 429 (terlalu banyak permintaan)"
                    if attempt < self.attempts:
                        await self.sleep(wait)
                    continue
                if response.status_code in RETRYABLE_STATUS:
                    problem = f"{name}: HTTP {response.status_code}"
                else:
                    try:
                        return _result(name, response)
                    except json.JSONDecodeError:
                        problem = f"{name}: jawaban tidak terbaca (bukan JSON)"
            if attempt < self.attempts:
                await self.sleep(self._delay(attempt))
        raise PortalUnavailable(f"{problem}, {self.attempts} kali dicoba")

    async def write(self, name: str, body: dict[str, Any]) -> Any:
        """A write action (JSON POST), tried once: a write whose answer was lost may have
        been applied, so only the caller knows whether repeating it is safe. Any transport
        failure, 429 or 5xx is `PortalUnavailable`; CKAN's refusals are `ActionError`."""
        url = f"{self.base_url}/api/3/action/{name}"
        headers = {"Authorization": self.token} if self.token else {}
        self.requests += 1
        try:
            response = await self.http.post(url, json=body, headers=headers)
        except httpx.TimeoutException:
            raise PortalUnavailable(f"{name}: tidak ada jawaban dalam batas waktu") from None
        except httpx.TransportError as error:
            raise PortalUnavailable(f"{name}: koneksi gagal ({error.__class__.__name__})") from None
        if response.status_code == 429 or response.status_code in RETRYABLE_STATUS:
            raise PortalUnavailable(f"{name}: HTTP {response.status_code}")
        try:
            return _result(name, response)
        except json.JSONDecodeError:
            raise PortalUnavailable(f"{name}: jawaban tidak terbaca (bukan JSON)") from None

    def _delay(self, attempt: int) -> float:
        """Exponential backoff with jitter, so retries of many clients do not align."""
        ceiling = min(self.max_backoff, self.backoff * 2.0 ** (attempt - 1))
        return ceiling / 2 + random.uniform(0, ceiling / 2)

    # -- the reads a sync needs --------------------------------------------------------------

    async def organizations(self, page_size: int = 25) -> list[dict[str, Any]]:
        """Every organization with all fields. CKAN caps all-fields pages (25 by default);
        portals that ignore `limit` answer everything at once, which ends the paging too."""
        found: dict[str, dict[str, Any]] = {}
        offset = 0
        while True:
            page = await self.action(
                "organization_list", all_fields=True, limit=page_size, offset=offset
            )
            if not isinstance(page, list):
                raise PortalUnavailable("organization_list: jawaban tidak sesuai format CKAN")
            new = [o for o in page if isinstance(o, dict) and o.get("id") not in found]
            found.update({str(o.get("id")): o for o in new})
            if len(page) < page_size or not new:
                return list(found.values())
            offset += len(page)

    async def search_page(
        self, start: int, rows: int, modified_since: datetime | None, *, private: bool
    ) -> tuple[int, list[Any]]:
        """(count, packages) of one page, newest modification first; with `modified_since`
        only packages modified at or after it (CKAN keeps `metadata_modified` in UTC)."""
        fq = f"metadata_modified:[{solr_time(modified_since)} TO *]" if modified_since else None
        result = await self.action(
            "package_search",
            q="*:*",
            fq=fq,
            rows=rows,
            start=start,
            sort="metadata_modified desc,id asc",
            include_private=private or None,
        )
        if not isinstance(result, dict) or not isinstance(result.get("results"), list):
            raise PortalUnavailable("package_search: jawaban tidak sesuai format CKAN")
        count = result.get("count")
        return (count if isinstance(count, int) else 0), result["results"]

    async def package_list_page(self, offset: int, limit: int) -> list[Any]:
        """Public packages with resources, newest first: where search is unavailable."""
        result = await self.action(
            "current_package_list_with_resources", limit=limit, offset=offset
        )
        if not isinstance(result, list):
            raise PortalUnavailable(
                "current_package_list_with_resources: jawaban tidak sesuai format CKAN"
            )
        return result

    async def package(self, package_id: str) -> dict[str, Any]:
        result = await self.action("package_show", id=package_id)
        if not isinstance(result, dict):
            raise PortalUnavailable("package_show: jawaban tidak sesuai format CKAN")
        return result

    async def datastore_total(self, resource_id: str) -> int:
        """How many rows the DataStore table holds, without reading any."""
        _, total = await self.datastore_columns(resource_id)
        return total

    async def datastore_columns(self, resource_id: str) -> tuple[list[str], int]:
        """(field names without `_id`, row count) of a DataStore table, without reading rows."""
        result = await self.action("datastore_search", resource_id=resource_id, limit=0)
        total = result.get("total") if isinstance(result, dict) else None
        if not isinstance(total, int):
            raise ActionError("Malformed", "datastore_search: jawaban tanpa total")
        fields = result.get("fields") if isinstance(result.get("fields"), list) else []
        names = [str(f.get("id")) for f in fields if isinstance(f, dict)]
        return [n for n in names if n != "_id"], total

    async def datastore_pages(
        self, resource_id: str, page_size: int
    ) -> AsyncIterator[tuple[list[dict[str, Any]], list[str]]]:
        """(records, field names) page by page, in `_id` order so pages do not overlap."""
        offset = 0
        while True:
            result = await self.action(
                "datastore_search",
                resource_id=resource_id,
                limit=page_size,
                offset=offset,
                sort="_id",
            )
            if not isinstance(result, dict) or not isinstance(result.get("records"), list):
                raise ActionError("Malformed", "datastore_search: jawaban tanpa records")
            records = result["records"]
            fields = [str(f.get("id")) for f in result.get("fields", []) if isinstance(f, dict)]
            yield records, fields
            offset += len(records)
            total = result.get("total")
            if len(records) < page_size or (isinstance(total, int) and offset >= total):
                return

    async def download(self, url: str, *, max_bytes: int, time_limit: float) -> bytes:
        """The file behind a resource's URL (a CSV or XLSX without a DataStore table).

        A resource file is whatever an agency uploaded or linked: it can be huge, slow or
        gone. Only http(s) is fetched, redirects included; reading stops past `max_bytes`
        (declared or received, counted after decompression) and after `time_limit` seconds in
        all, since a server trickling bytes never trips a per-read timeout. The portal's
        token goes only to the portal's own address. Every failure concerns this one file,
        not the portal, so it is an `ActionError` of kind "Unduhan gagal" whose message says
        why: the sync skips the resource with that reason and reads it again next time.
        """
        kind = "Unduhan gagal"
        address = urlsplit(url)
        if address.scheme not in ("http", "https") or not address.netloc:
            raise ActionError(kind, f"alamat berkas bukan http/https ({url[:100]!r})")
        portal = urlsplit(self.base_url)
        own = (address.scheme, address.netloc) == (portal.scheme, portal.netloc)
        headers = {"Authorization": self.token} if self.token and own else {}
        limit = f"{max_bytes:,} byte".replace(",", ".")
        too_big = (
            f"berkas lebih besar dari {limit} (batas unduhan): unduh berkasnya sendiri, lalu "
            "impor dengan `satudata import data`"
        )
        received = bytearray()
        self.requests += 1
        try:
            async with (
                asyncio.timeout(time_limit),
                self.http.stream("GET", url, headers=headers, follow_redirects=True) as response,
            ):
                if response.status_code != 200:
                    raise ActionError(kind, f"HTTP {response.status_code} untuk {url[:200]}")
                declared = response.headers.get("Content-Length", "")
                encoded = "Content-Encoding" in response.headers  # then the length is compressed
                if declared.isdigit() and int(declared) > max_bytes and not encoded:
                    raise ActionError(kind, too_big)
                async for chunk in response.aiter_bytes():
                    received += chunk
                    if len(received) > max_bytes:
                        raise ActionError(kind, too_big)
        except (TimeoutError, httpx.TimeoutException):
            raise ActionError(
                kind, f"berkas tidak selesai diunduh dalam {time_limit:g} detik (batas waktu)"
            ) from None
        except httpx.HTTPError as error:
            raise ActionError(kind, f"koneksi gagal ({error.__class__.__name__})") from None
        return bytes(received)


def solr_time(moment: datetime) -> str:
    """Solr's date syntax, truncated to milliseconds so an inclusive bound stays inclusive."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _param(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _retry_after(response: httpx.Response) -> float:
    """Retry-After in seconds or as an HTTP date; 1 s when the portal does not say."""
    header = response.headers.get("Retry-After", "").strip()
    if not header:
        return 1.0
    try:
        return max(0.0, float(header))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return 1.0
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _result(name: str, response: httpx.Response) -> Any:
    """The envelope's result, or the error it carries. Raises JSONDecodeError for a page
    that is not JSON (a proxy's error page, a truncated answer)."""
    text = response.text
    if response.status_code in (400, 404) and "action name not known" in text.lower():
        raise ActionUnavailable(name)
    body = json.loads(text)
    if isinstance(body, dict) and body.get("success") is True and "result" in body:
        return body["result"]
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        error = body["error"]
        raise ActionError(str(error.get("__type", "Error")), str(error.get("message", "")))
    if response.status_code == 404:
        raise ActionUnavailable(name)  # an API that is not CKAN's, or not at this address
    raise PortalUnavailable(f"{name}: HTTP {response.status_code} tanpa jawaban CKAN")
