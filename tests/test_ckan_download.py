"""Downloading a resource's file from a portal, bounded in size and in time.

A resource without a DataStore table is a file an agency uploaded or linked: the portal is a
real HTTP server on 127.0.0.1 (`FakeCkan`, its `/files/` route) that serves it whole, without
a length, stalled or trickling. What is checked is what the walidata would notice: the file
arrives whole, or the sync is told precisely why not, within the limits it set.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

import pytest
import xlsxwriter

from storage.ckan.client import ActionError, CkanClient
from storage.tables.files import read_tables

from .fake_ckan import FakeCkan

TOKEN = "portal-token-for-private-resources"
MB = 1024 * 1024


@pytest.fixture
async def portal() -> AsyncIterator[FakeCkan]:
    fake = FakeCkan.recorded()
    await fake.start()
    yield fake
    await fake.stop()


def workbook() -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("Data")
    sheet.write_row(0, 0, ["kecamatan", "tahun", "jumlah"])
    sheet.write_row(1, 0, ["Purwodadi", 2023, 1250])
    sheet.write_row(2, 0, ["Tutur", 2023, 980])
    book.close()
    return buffer.getvalue()


async def download(url: str, *, max_bytes: int = MB, time_limit: float = 30.0) -> bytes:
    async with CkanClient(url.split("/files/")[0], TOKEN, attempts=1) as client:
        return await client.download(url, max_bytes=max_bytes, time_limit=time_limit)


async def test_a_resource_workbook_arrives_whole_and_reads_as_its_table(portal: FakeCkan) -> None:
    portal.files["penduduk.xlsx"] = workbook()
    content = await download(f"{portal.url}/files/penduduk.xlsx")
    assert content == portal.files["penduduk.xlsx"]
    (table,) = read_tables(content, "penduduk.xlsx")
    assert table.columns == ("kecamatan", "tahun", "jumlah")
    assert [list(row) for row in table.rows] == [["Purwodadi", 2023, 1250], ["Tutur", 2023, 980]]


async def test_a_file_sent_without_a_length_arrives_whole(portal: FakeCkan) -> None:
    portal.files["data.csv"] = b"kecamatan;jumlah\n" + b"Purwodadi;1.250\n" * 20_000
    portal.inject("files", "chunked")
    content = await download(
        f"{portal.url}/files/data.csv", max_bytes=len(portal.files["data.csv"])
    )
    assert content == portal.files["data.csv"]


async def test_a_file_declared_larger_than_the_limit_is_refused(portal: FakeCkan) -> None:
    portal.files["besar.csv"] = b"x" * (2 * MB)
    with pytest.raises(ActionError) as refused:
        await download(f"{portal.url}/files/besar.csv", max_bytes=MB)
    assert "lebih besar dari 1.048.576 byte (batas unduhan)" in str(refused.value)
    assert "satudata import data" in str(refused.value)


async def test_a_file_without_a_length_is_cut_at_the_limit(portal: FakeCkan) -> None:
    portal.files["besar.csv"] = b"x" * (4 * MB)
    portal.inject("files", "chunked")
    with pytest.raises(ActionError) as refused:
        await download(f"{portal.url}/files/besar.csv", max_bytes=64 * 1024)
    assert "batas unduhan" in str(refused.value)


async def test_a_stalled_download_gives_up_at_its_time_limit(portal: FakeCkan) -> None:
    """The portal sends a kilobyte and then nothing for a minute: far past the half second
    the client allows, so the time limit, not the server, ends the download."""
    portal.files["lambat.xlsx"] = workbook()
    portal.inject("files", "stall")
    with pytest.raises(ActionError) as refused:
        await download(f"{portal.url}/files/lambat.xlsx", time_limit=0.5)
    assert "tidak selesai diunduh dalam 0.5 detik (batas waktu)" in str(refused.value)


async def test_a_trickling_download_gives_up_at_its_time_limit(portal: FakeCkan) -> None:
    """Ten bytes every 50 ms never leave a read waiting long, so only a limit on the whole
    download ends it; the file would take a minute to arrive."""
    portal.files["tetes.csv"] = b"x" * 12_000
    portal.inject("files", "trickle")
    with pytest.raises(ActionError) as refused:
        await download(f"{portal.url}/files/tetes.csv", time_limit=0.5)
    assert "batas waktu" in str(refused.value)


async def test_a_missing_file_is_reported_with_its_status(portal: FakeCkan) -> None:
    with pytest.raises(ActionError) as refused:
        await download(f"{portal.url}/files/hilang.csv")
    assert refused.value.kind == "Unduhan gagal"
    assert "HTTP 404" in str(refused.value)


async def test_the_token_goes_to_the_portal_only_even_through_a_redirect(
    portal: FakeCkan,
) -> None:
    elsewhere = FakeCkan.recorded()
    await elsewhere.start()
    try:
        portal.files["privat.csv"] = b"kecamatan,jumlah\nTutur,1\n"
        elsewhere.files["luar.csv"] = b"kecamatan,jumlah\nPurwodadi,2\n"
        portal.moved["pindah.csv"] = f"{elsewhere.url}/files/luar.csv"
        async with CkanClient(portal.url, TOKEN, attempts=1) as client:
            own = await client.download(
                f"{portal.url}/files/privat.csv", max_bytes=MB, time_limit=30
            )
            moved = await client.download(
                f"{portal.url}/files/pindah.csv", max_bytes=MB, time_limit=30
            )
            linked = await client.download(
                f"{elsewhere.url}/files/luar.csv", max_bytes=MB, time_limit=30
            )
        assert own == portal.files["privat.csv"]
        assert moved == linked == elsewhere.files["luar.csv"]
        assert [c["authorization"] for _, c in portal.calls] == [TOKEN, TOKEN]
        assert [c["authorization"] for _, c in elsewhere.calls] == ["", ""]
    finally:
        await elsewhere.stop()


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "ftp://portal.example/data.csv", "javascript:alert(1)", "", "data.csv"],
)
async def test_only_http_addresses_are_fetched(url: str) -> None:
    async with CkanClient("http://127.0.0.1:9", attempts=1) as client:
        with pytest.raises(ActionError) as refused:
            await client.download(url, max_bytes=MB, time_limit=1)
        assert client.requests == 0
    assert "bukan http/https" in str(refused.value)
