"""A fake CKAN portal: a real HTTP server on 127.0.0.1 serving recorded CKAN 2.12 answers.

It starts from the responses in `fixtures/ckan/` (organizations, four packages, one DataStore
table) and implements the actions the connector uses with CKAN's envelopes, paging, the
`metadata_modified` filter of `package_search`, private packages behind a token, and errors
shaped like the recorded ones. Tests change its data (an agency publishes, a package is
deleted) and inject failures: 429 with Retry-After, 500/503, timeouts, dropped connections,
answers that are not JSON, or a portal that is down altogether.

The writes the registry publishes with (POST `datastore_create`, `datastore_upsert`,
`datastore_delete`, `package_patch`) need the token and keep CKAN's rules: a created table's
resource appears in `package_show` with its extra fields, rows are keyed by the primary key,
an unknown column is a Validation Error. The fault "late" applies a write and then holds
its answer, as a proxy timing out after the portal did the work. The lifecycle, fault queues
and `wait_for` come from `tests.fake_server.FakeServer`.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web

from tests.fake_server import FakeServer

FIXTURES = Path(__file__).parent / "fixtures" / "ckan"
SOLR_RANGE = re.compile(r"metadata_modified:\[(\S+) TO \*\]")


def recorded(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def ckan_time(moment: datetime) -> str:
    """CKAN's way: naive ISO in UTC with microseconds."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds")


@dataclass
class FakeCkan(FakeServer):
    """Fault kinds: "429", "500", "503", "timeout", "drop", "not-json"."""

    packages: dict[str, dict[str, Any]]  # by id; state "deleted" or absent = gone
    organizations: list[dict[str, Any]]
    tables: dict[str, list[dict[str, Any]]]  # resource id → records (without _id)
    token: str | None = None
    search: bool = True  # False: package_search is an unknown action (404)
    down: bool = False  # every request answers 503
    # A "timeout" holds the answer this long (or until the fake stops): longer than any client
    # waits, so the client gives up, as it would on a lost answer.
    timeout_delay: float = 60.0
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    # DataStore tables created through the API: their columns and primary key.
    fields: dict[str, list[str]] = field(default_factory=dict)
    keys: dict[str, list[str]] = field(default_factory=dict)
    created: int = 0  # resources created through the API
    # Uploaded resource files at /files/{name}; a name in `moved` answers 302 to its URL.
    files: dict[str, bytes] = field(default_factory=dict)
    moved: dict[str, str] = field(default_factory=dict)

    @classmethod
    def recorded(cls) -> FakeCkan:
        """The recorded portal: 3 organizations, 4 packages, the APM SD DataStore table."""
        search = [
            *recorded("package_search_page1.json")["result"]["results"],
            *recorded("package_search_page2_modified_filter.json")["result"]["results"],
        ]
        rows = [
            *recorded("datastore_search_limit5.json")["result"]["records"],
            *recorded("datastore_search_offset5.json")["result"]["records"],
        ]
        table = [{k: v for k, v in r.items() if k != "_id"} for r in rows]
        resource = recorded("datastore_search_limit5.json")["result"]["resource_id"]
        return cls(
            packages={p["id"]: p for p in search},
            organizations=recorded("organization_list_all_fields.json")["result"],
            tables={resource: table},
        )

    # -- lifecycle ---------------------------------------------------------------------------

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/api/3/action/{action}", self._handle)
        app.router.add_post("/api/3/action/{action}", self._write)
        app.router.add_get("/files/{name}", self._file)

    @property
    def url(self) -> str:
        return self.origin

    # -- what tests drive --------------------------------------------------------------------

    def describe_calls(self) -> str:
        return str([action for action, _ in self.calls])

    def calls_to(self, action: str) -> list[dict[str, Any]]:
        return [params for name, params in self.calls if name == action]

    def package(self, name: str) -> dict[str, Any]:
        return next(p for p in self.packages.values() if p["name"] == name)

    def touch(self, name: str, at: datetime) -> dict[str, Any]:
        """The package was edited on the portal at `at`."""
        package = self.package(name)
        package["metadata_modified"] = ckan_time(at)
        return package

    def set_table(self, name: str, rows: list[dict[str, Any]], at: datetime) -> None:
        """Give the package's DataStore resource these rows, as an upload at `at` would."""
        package = self.touch(name, at)
        resource = next(r for r in package["resources"] if r["datastore_active"])
        self.tables[resource["id"]] = rows

    def add_package(self, package: dict[str, Any]) -> None:
        self.packages[package["id"]] = package

    # -- the API -----------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        action = request.match_info["action"]
        params = dict(request.query)
        self.calls.append((action, params))
        if self.down:
            return web.Response(status=503, text="Service Unavailable")
        fault = self._next_fault(action)
        if fault is not None:
            if fault.kind == "429":
                return web.Response(
                    status=429,
                    text="Too Many Requests",
                    headers={"Retry-After": str(fault.retry_after)},
                )
            if fault.kind in ("500", "503"):
                return web.Response(status=int(fault.kind), text="<html>Internal Error</html>")
            if fault.kind == "timeout":
                await self.hold(self.timeout_delay)
            if fault.kind == "drop":
                assert request.transport is not None
                request.transport.close()
                return web.Response()
            if fault.kind == "not-json":
                return web.Response(text='{"help": "http://x", "success": true, "resu')
        authorized = bool(self.token) and request.headers.get("Authorization") == self.token
        handler = {
            "package_search": self._search,
            "current_package_list_with_resources": self._package_list,
            "package_show": self._show,
            "organization_list": self._organizations,
            "datastore_search": self._datastore,
        }.get(action)
        if handler is None or (action == "package_search" and not self.search):
            return web.Response(
                status=404, text=json.dumps(f"Bad request: Action name not known: {action}")
            )
        return await handler(params, authorized)

    async def _write(self, request: web.Request) -> web.StreamResponse:
        action = request.match_info["action"]
        body = await request.json()
        self.calls.append((action, body))
        if self.down:
            return web.Response(status=503, text="Service Unavailable")
        fault = self._next_fault(action)
        if fault is not None and fault.kind != "late":
            if fault.kind in ("500", "503"):
                return web.Response(status=int(fault.kind), text="<html>Internal Error</html>")
            if fault.kind == "timeout":
                await self.hold(self.timeout_delay)
                return web.Response(status=504)
            raise AssertionError(f"no write fault {fault.kind!r}")
        if not self.token or request.headers.get("Authorization") != self.token:
            return _error(403, "Authorization Error", "Access denied: not authorized to edit")
        handler = {
            "datastore_create": self._create,
            "datastore_upsert": self._upsert,
            "datastore_delete": self._delete,
            "package_patch": self._patch,
        }.get(action)
        if handler is None:
            return web.Response(
                status=400, text=json.dumps(f"Bad request: Action name not known: {action}")
            )
        response = handler(body)
        if fault is not None:  # "late": done, but the answer does not come in time
            await self.hold(self.timeout_delay)
        return response

    def _resource_package(self, resource_id: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
        for package in self.packages.values():
            for resource in package.get("resources", []):
                if resource.get("id") == resource_id:
                    return package, resource
        return None

    def _create(self, body: dict[str, Any]) -> web.Response:
        if "resource" in body:
            package = self.packages.get(body["resource"].get("package_id", ""))
            if package is None:
                return _error(404, "Not Found Error", "Package was not found.")
            self.created += 1
            resource_id = f"res-{self.created:04d}"
            resource = {
                **body["resource"],
                "id": resource_id,
                "state": "active",
                "url": f"{self.origin}/datastore/dump/{resource_id}",
                "url_type": "datastore",
                "position": len(package["resources"]),
            }
            package["resources"].append(resource)
            self.tables[resource_id] = []
        else:
            resource_id = body.get("resource_id", "")
            found = self._resource_package(resource_id)
            if found is None:
                return _error(404, "Not Found Error", "Resource was not found.")
            package, resource = found
            self.tables.setdefault(resource_id, [])
        self.fields[resource_id] = [f["id"] for f in body.get("fields", [])]
        self.keys[resource_id] = list(body.get("primary_key", []))
        resource["datastore_active"] = True
        problem = self._put(resource_id, body.get("records", []), insert=True)
        if problem:
            return problem
        self._modified(package, resource)
        return _ok("datastore_create", {"resource_id": resource_id, "method": "insert"})

    def _upsert(self, body: dict[str, Any]) -> web.Response:
        resource_id = body.get("resource_id", "")
        found = self._resource_package(resource_id)
        if found is None or resource_id not in self.tables:
            return _error(404, "Not Found Error", "Resource was not found.")
        problem = self._put(resource_id, body.get("records", []), insert=False)
        if problem:
            return problem
        self._modified(*found)
        return _ok("datastore_upsert", {"resource_id": resource_id, "method": "upsert"})

    def _put(
        self, resource_id: str, records: list[dict[str, Any]], *, insert: bool
    ) -> web.Response | None:
        columns, key = self.fields.get(resource_id, []), self.keys.get(resource_id, [])
        rows = self.tables[resource_id]
        for record in records:
            unknown = set(record) - set(columns)
            if unknown:
                return _error(409, "Validation Error", f"fields not found: {sorted(unknown)}")
            identity = [record.get(k) for k in key]
            held = next(
                (i for i, r in enumerate(rows) if [r.get(k) for k in key] == identity), None
            )
            if held is not None and (insert or not key):
                return _error(409, "Validation Error", "duplicate key value violates unique")
            row = {c: record.get(c) for c in columns}
            if held is None:
                rows.append(row)
            else:
                rows[held] = row
        return None

    def _delete(self, body: dict[str, Any]) -> web.Response:
        resource_id = body.get("resource_id", "")
        found = self._resource_package(resource_id)
        if found is None or self.tables.pop(resource_id, None) is None:
            return _error(404, "Not Found Error", "Resource was not found.")
        self.fields.pop(resource_id, None)
        found[1]["datastore_active"] = False
        self._modified(*found)
        return _ok("datastore_delete", {"resource_id": resource_id})

    def _patch(self, body: dict[str, Any]) -> web.Response:
        package = self.packages.get(body.get("id", ""))
        if package is None:
            return _error(404, "Not Found Error", "Package was not found.")
        package.update({k: v for k, v in body.items() if k != "id"})
        self._modified(package, None)
        return _ok("package_patch", copy.deepcopy(package))

    def _modified(self, package: dict[str, Any], resource: dict[str, Any] | None) -> None:
        """CKAN moves the package's modification time on every change to it."""
        moment = ckan_time(datetime.now(UTC))
        package["metadata_modified"] = moment
        if resource is not None:
            resource["last_modified"] = moment

    async def _file(self, request: web.Request) -> web.StreamResponse:
        """A resource's file. Faults (endpoint "files"): "stall" sends the first kilobyte and
        holds the rest; "trickle" sends ten bytes every 50 ms; "chunked" sends the file
        without a Content-Length."""
        name = request.match_info["name"]
        self.calls.append(
            ("files", {"name": name, "authorization": request.headers.get("Authorization", "")})
        )
        if name in self.moved:
            raise web.HTTPFound(self.moved[name])
        content = self.files.get(name)
        if content is None:
            return web.Response(status=404, text="Not Found")
        fault = self._next_fault("files")
        if fault is None:
            return web.Response(body=content, content_type="application/octet-stream")
        response = web.StreamResponse(headers={"Content-Type": "application/octet-stream"})
        await response.prepare(request)
        try:
            if fault.kind == "stall":
                await response.write(content[:1024])
                await self.hold(self.timeout_delay)
            elif fault.kind == "trickle":
                for offset in range(0, len(content), 10):
                    if self.stopping:
                        break
                    await response.write(content[offset : offset + 10])
                    await self.hold(0.05)
            else:
                await response.write(content)
        except ConnectionResetError:
            pass  # the client gave up, as it should
        return response

    def _visible(self, authorized: bool) -> list[dict[str, Any]]:
        found = [
            p
            for p in self.packages.values()
            if p.get("state") == "active" and (authorized or not p.get("private"))
        ]
        return sorted(found, key=lambda p: str(p.get("id")))

    async def _search(self, params: dict[str, str], authorized: bool) -> web.Response:
        packages = self._visible(authorized and params.get("include_private") == "true")
        if match := SOLR_RANGE.search(params.get("fq", "")):
            since = datetime.fromisoformat(match.group(1).replace("Z", "+00:00"))
            packages = [p for p in packages if _modified(p) >= since]
        packages.sort(key=_modified, reverse=True)
        start, rows = int(params.get("start", 0)), int(params.get("rows", 10))
        return _ok(
            "package_search",
            {
                "count": len(packages),
                "facets": {},
                "results": copy.deepcopy(packages[start : start + rows]),
                "sort": params.get("sort", "score desc, metadata_modified desc"),
                "search_facets": {},
            },
        )

    async def _package_list(self, params: dict[str, str], authorized: bool) -> web.Response:
        packages = sorted(self._visible(False), key=_modified, reverse=True)
        offset, limit = int(params.get("offset", 0)), int(params.get("limit", 10))
        return _ok("current_package_list_with_resources", packages[offset : offset + limit])

    async def _show(self, params: dict[str, str], authorized: bool) -> web.Response:
        package = self.packages.get(params.get("id", ""))
        if package is None:
            return web.json_response(recorded("error_package_show_not_found.json"), status=404)
        if (package.get("private") or package.get("state") != "active") and not authorized:
            return web.json_response(recorded("error_private_package_anonymous.json"), status=403)
        return _ok("package_show", copy.deepcopy(package))

    async def _organizations(self, params: dict[str, str], authorized: bool) -> web.Response:
        offset, limit = int(params.get("offset", 0)), int(params.get("limit", 1000))
        return _ok("organization_list", self.organizations[offset : offset + limit])

    async def _datastore(self, params: dict[str, str], authorized: bool) -> web.Response:
        resource = params.get("resource_id", "")
        if resource not in self.tables:
            return web.json_response(recorded("error_package_show_not_found.json"), status=404)
        rows = self.tables[resource]
        offset, limit = int(params.get("offset", 0)), int(params.get("limit", 100))
        records = [{"_id": i + 1, **row} for i, row in enumerate(rows)][offset : offset + limit]
        columns = self.fields.get(resource) or list(dict.fromkeys(k for row in rows for k in row))
        return _ok(
            "datastore_search",
            {
                "include_total": True,
                "limit": limit,
                "offset": offset,
                "records_format": "objects",
                "resource_id": resource,
                "records": records,
                "fields": [{"id": "_id", "type": "int"}, *({"id": c} for c in columns)],
                "total": len(rows),
            },
        )


def _modified(package: dict[str, Any]) -> datetime:
    """A broken record sorts last, as it would in a search index that could not parse it."""
    try:
        return datetime.fromisoformat(package["metadata_modified"]).replace(tzinfo=UTC)
    except (KeyError, TypeError, ValueError):
        return datetime.min.replace(tzinfo=UTC)


def _error(status: int, kind: str, message: str) -> web.Response:
    return web.json_response(
        {"help": "", "success": False, "error": {"__type": kind, "message": message}},
        status=status,
    )


def _ok(action: str, result: Any) -> web.Response:
    help_url = f"http://127.0.0.1/api/3/action/help_show?name={action}"
    return web.json_response({"help": help_url, "success": True, "result": result})
