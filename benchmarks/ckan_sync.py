"""Portal sync throughput: 5,000 packages and 2,000,000 DataStore rows of kecamatan × jenis
kelamin × tahun tables, from a local CKAN stand-in.

Run by hand: `.venv/bin/python benchmarks/ckan_sync.py [--packages 5000] [--rows 400]
[--database-url postgresql://.../empty_db]` (default: a new SQLite file). The portal runs in
its own process and generates its packages and DataStore rows on the fly (CKAN envelopes,
paging, the `metadata_modified` filter): every table lists the kecamatan of Kabupaten
Pasuruan by name, L/P, years and counts written as Indonesian text ("1.234"), so the sync
reads, resolves and totals them as it would a real regional portal's. Prints the first
sync's packages/s, table rows/s and values written, wall time and peak RSS of the syncing
process, and what re-syncs with nothing changed cost in requests.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import gzip
import resource
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from storage import db  # noqa: E402
from storage.ckan.client import CkanClient  # noqa: E402
from storage.ckan.mapping import PortalMapping  # noqa: E402
from storage.ckan.source import CkanPortal  # noqa: E402
from storage.portal.sync import PortalSyncer  # noqa: E402
from storage.uow import UnitOfWorkFactory  # noqa: E402

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
ORGANIZATIONS = 50
HOME = "3514"  # Kabupaten Pasuruan
SEXES = ("Laki-laki", "Perempuan")
FIELDS = [
    {"id": "_id", "type": "int"},
    {"id": "kecamatan", "type": "text"},
    {"id": "jenis_kelamin", "type": "text"},
    {"id": "tahun", "type": "int"},
    {"id": "jumlah", "type": "text"},
]


# --- the portal (its own process) ---------------------------------------------------------------


def serve(packages: int, rows: int) -> None:
    from aiohttp import web

    kecamatan = _kecamatan(f"{HOME[:2]}.{HOME[2:]}")

    def package(i: int) -> dict[str, Any]:
        org = i % ORGANIZATIONS
        pid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"package-{i}"))
        return {
            "id": pid,
            "name": f"dataset-{i:05d}",
            "title": f"Dataset Uji {i:05d}",
            "notes": "Data uji untuk pengukuran sinkronisasi.",
            "metadata_modified": (EPOCH + timedelta(seconds=i)).isoformat(),
            "private": False,
            "state": "active",
            "organization": organization(org),
            "extras": [
                {"key": "frekuensi", "value": "Tahunan"},
                {"key": "satuan", "value": "Jiwa"},
            ],
            "tags": [{"name": "uji", "display_name": "uji"}],
            "resources": [{"id": f"res-{i:05d}", "datastore_active": True, "state": "active"}],
        }

    def organization(org: int) -> dict[str, str]:
        return {"id": f"org-{org:03d}", "name": f"opd-{org:03d}", "title": f"Dinas Uji {org:03d}"}

    def ok(result: Any) -> web.Response:
        return web.json_response({"help": "", "success": True, "result": result})

    async def action(request: web.Request) -> web.Response:
        name, q = request.match_info["action"], request.query
        if name == "package_search":
            newest_first = range(packages - 1, -1, -1)
            fq = q.get("fq", "")
            if fq:
                since = datetime.fromisoformat(
                    fq.split("[")[1].split(" ")[0].replace("Z", "+00:00")
                )
                first = max(0, int((since - EPOCH).total_seconds() + 0.999))
                newest_first = range(packages - 1, first - 1, -1)
            start, count = int(q.get("start", 0)), int(q.get("rows", 10))
            page = [package(i) for i in newest_first[start : start + count]]
            return ok({"count": len(newest_first), "results": page})
        if name == "organization_list":
            offset, limit = int(q.get("offset", 0)), int(q.get("limit", 25))
            return ok([organization(o) for o in range(ORGANIZATIONS)][offset : offset + limit])
        if name == "datastore_search":
            i = int(q["resource_id"].split("-")[1])
            offset, limit = int(q.get("offset", 0)), int(q.get("limit", 100))
            cells = len(kecamatan) * len(SEXES)  # one year's rows
            records = [
                {
                    "_id": n + 1,
                    "kecamatan": kecamatan[n % cells // len(SEXES)],
                    "jenis_kelamin": SEXES[n % len(SEXES)],
                    "tahun": 2024 - n // cells,
                    "jumlah": f"{1000 + (i * 7 + n * 13) % 90000:,}".replace(",", "."),
                }
                for n in range(offset, min(rows, offset + limit))
            ]
            return ok({"records": records, "fields": FIELDS, "total": rows})
        return web.json_response("Bad request: Action name not known", status=400)

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/api/3/action/{action}", action)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        print("port", site._server.sockets[0].getsockname()[1], flush=True)  # type: ignore[union-attr]
        await asyncio.Event().wait()

    asyncio.run(main())


def _kecamatan(kabupaten: str) -> list[str]:
    """The kecamatan of one kabupaten as the Kemendagri list names them."""
    path = ROOT / "storage" / "wilayah" / "kode_wilayah_kemendagri_2025.csv.gz"
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        return [
            row["nama"]
            for row in csv.DictReader(lines)
            if row["tingkat"] == "kecamatan" and row["kode_induk"] == kabupaten
        ]


# --- the sync (this process) ---------------------------------------------------------------------


async def bench(packages: int, rows: int, database_url: str | None) -> None:
    server = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--serve", "--packages", str(packages), "--rows", str(rows),
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert server.stdout is not None
    port = int((await server.stdout.readline()).split()[1])
    url = f"http://127.0.0.1:{port}"
    database_url = database_url or f"sqlite:///{tempfile.mkdtemp()}/ckan.db"
    engine = db.create_engine(database_url)
    try:
        await db.upgrade(engine)
        syncer = PortalSyncer(
            UnitOfWorkFactory(engine),
            CkanPortal(
                url, None, PortalMapping.load(), HOME, client_factory=lambda: CkanClient(url)
            ),
        )
        now = datetime.now(UTC)
        started = time.perf_counter()
        first = await syncer.run(now)
        wall = time.perf_counter() - started
        unchanged = await syncer.run(now + timedelta(hours=1))
        full = await syncer.run(now + timedelta(hours=2), full=True)
    finally:
        server.terminate()
        await server.wait()
        await engine.dispose()
    assert first.ok and unchanged.ok and full.ok, (first.error, unchanged.error, full.error)
    pages = -(-packages // PortalMapping.load().page_size)
    engine_name = database_url.split(":")[0]
    print(f"{engine_name} · portal: {packages:,} packages, {packages * rows:,} DataStore rows")
    print(
        f"first sync: {wall:.1f} s wall · {len(first.datasets_new) / wall:,.0f} packages/s · "
        f"{packages * rows / wall:,.0f} table rows/s · {first.observations_loaded:,} values "
        f"written (with the computed kecamatan totals) · {first.requests:,} requests"
    )
    print(
        f"re-sync, nothing changed: incremental {unchanged.requests} request(s) · full "
        f"{full.requests} requests for {pages} pages of search "
        f"({full.datasets_unchanged:,} unchanged, {full.seconds:.1f} s)"
    )
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--packages", type=int, default=5000)
    parser.add_argument("--rows", type=int, default=400, help="DataStore rows per package")
    parser.add_argument("--database-url")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.packages, args.rows)
    else:
        asyncio.run(bench(args.packages, args.rows, args.database_url))
