"""The demo registry does not compete with a real one: a first start with a portal configured,
or after a Daftar Data import, leaves it out; `satudata demo load` still loads it; without
either, the first start loads it as before."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.wiring import prepare_database
from storage.models import PortalSync
from storage.uow import UnitOfWorkFactory

from .cli_runner import cli_env, satudata
from .conftest import NOW

DEMO_DATASETS = 15
UNREACHABLE_PORTAL = "http://127.0.0.1:1"  # `ask` never reads the portal


def datasets(database: Path) -> list[str]:
    with sqlite3.connect(database) as connection:
        codes = [code for (code,) in connection.execute("SELECT code FROM datasets")]
    connection.close()
    return sorted(codes)


def opds(database: Path) -> list[str]:
    with sqlite3.connect(database) as connection:
        names = [name for (name,) in connection.execute("SELECT name FROM opds")]
    connection.close()
    return sorted(names)


def test_a_first_start_without_a_portal_loads_the_demo(tmp_path: Path) -> None:
    database = tmp_path / "satudata.db"

    result = satudata("ask", "IPM Kabupaten Pasuruan 2023", cwd=tmp_path, database=database)

    assert result.returncode == 0, result.stderr
    assert "Kabupaten Pasuruan (3514), 2023" in result.stdout
    assert len(datasets(database)) == DEMO_DATASETS


def test_with_a_portal_configured_the_demo_is_loaded_only_when_asked_for(tmp_path: Path) -> None:
    database = tmp_path / "satudata.db"
    env = cli_env(database, CKAN_URL=UNREACHABLE_PORTAL)

    first = satudata("ask", "IPM Kabupaten Pasuruan 2023", cwd=tmp_path, env=env)
    empty = datasets(database)
    load = satudata("demo", "load", cwd=tmp_path, env=env)

    assert first.returncode == 0, first.stderr
    assert "(3514), 2023" not in first.stdout and empty == []
    assert load.returncode == 0, load.stderr
    assert len(datasets(database)) == DEMO_DATASETS


def test_after_a_daftar_data_import_the_demo_is_not_loaded(tmp_path: Path) -> None:
    database = tmp_path / "satudata.db"
    daftar = tmp_path / "daftar.csv"
    daftar.write_text(
        "kode,judul,opd,periodisitas,klasifikasi,periode_terakhir\n"
        "pad,Pendapatan Asli Daerah,Badan Pendapatan Daerah,tahunan,terbuka,2025\n"
        "stunting,Prevalensi Stunting,Dinas Kesehatan,tahunan,terbuka,2024\n",
        encoding="utf-8",
    )

    imported = satudata("import", "daftar-data", str(daftar), cwd=tmp_path, database=database)
    later = satudata("ask", "IPM Kabupaten Pasuruan 2023", cwd=tmp_path, database=database)

    assert imported.returncode == 0, imported.stderr
    assert "Impor selesai: 2 baru" in imported.stdout
    assert later.returncode == 0, later.stderr
    assert datasets(database) == ["pad", "stunting"]
    assert opds(database) == ["Badan Pendapatan Daerah", "Dinas Kesehatan"]


async def test_a_registry_once_synced_with_a_portal_is_not_given_the_demo(
    engine: AsyncEngine,
) -> None:
    """A portal that published nothing yet still made the registry a real one: taking its
    CKAN_URL away later does not bring the demo in."""
    await prepare_database(engine, NOW, demo=False)
    uow = UnitOfWorkFactory(engine)
    async with uow() as work:
        work.session.add(PortalSync(portal="https://data.example.go.id", mapping_digest=""))
        await work.commit()

    await prepare_database(engine, NOW)

    async with uow() as work:
        assert not await work.datasets.any()
