"""Publishing a verified table into a CKAN package: a DataStore table of our own, and the
package's latest-period field.

The table lives in one resource of the package, recognised by its `satudata_table` field
(CKAN keeps unknown resource fields), so every step can be repeated after a lost answer:
the resource is looked up before it is created, rows are upserted by their key, and the
metadata is patched to a value, not incremented. A table whose columns or rows no longer
match what is published (a category dropped, a region removed) is replaced whole.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from storage.ckan.client import ActionError, ActionUnavailable, CkanClient
from storage.ckan.mapping import PortalMapping, key
from storage.ckan.records import VERIFIED
from storage.portal.source import Published, PublishRefused, VerifiedTable

BATCH = 5000  # rows per write: CKAN's request size limit is well above this
RESOURCE_NAME = "Data terverifikasi walidata: {title}"
RESOURCE_DESCRIPTION = (
    "Nilai yang diterima walidata setelah pemeriksaan (Satu Data). Diperbarui otomatis setiap "
    "kali walidata menerima data baru untuk dataset {code}."
)


async def publish(
    client: CkanClient, mapping: PortalMapping, package_id: str, table: VerifiedTable
) -> Published:
    try:
        return await _publish(client, mapping, package_id, table)
    except ActionUnavailable as error:
        raise PublishRefused(f"{error}: portal ini tidak menyimpan tabel (DataStore)") from None
    except ActionError as error:
        raise PublishRefused(str(error)) from None


async def _publish(
    client: CkanClient, mapping: PortalMapping, package_id: str, table: VerifiedTable
) -> Published:
    package = await client.package(package_id)
    records = _records(table)
    ours = _our_resource(package, table.code)
    name = RESOURCE_NAME.format(title=table.title)[:200]
    if ours is None:
        resource = {
            "package_id": package_id,
            "name": name,
            "description": RESOURCE_DESCRIPTION.format(code=table.code),
            "format": "CSV",
            VERIFIED: table.code,
        }
        resource_id = await _create(client, {"resource": resource}, table, records)
    else:
        resource_id, name = ours
        columns, _ = await client.datastore_columns(resource_id)
        if columns != [column for column, _ in table.columns]:
            await _replace(client, resource_id, table, records)
        else:
            await _upsert(client, resource_id, records)
    _, total = await client.datastore_columns(resource_id)
    if total != len(records):  # rows of regions or categories no longer in the dataset
        await _replace(client, resource_id, table, records)
    await _patch_period(client, mapping, package, table.latest_period)
    return Published(resource_id, name, len(records))


def _our_resource(package: dict[str, Any], code: str) -> tuple[str, str] | None:
    """(id, name) of the resource an earlier publication of the dataset created."""
    for resource in package.get("resources") or []:
        if (
            isinstance(resource, dict)
            and resource.get(VERIFIED) == code
            and resource.get("state", "active") == "active"
            and isinstance(resource.get("id"), str)
        ):
            return str(resource["id"]), str(resource.get("name") or resource["id"])
    return None


def _definition(table: VerifiedTable) -> dict[str, Any]:
    return {
        "fields": [{"id": name, "type": kind} for name, kind in table.columns],
        "primary_key": list(table.key),
        "force": True,
    }


def _records(table: VerifiedTable) -> list[dict[str, Any]]:
    names = [name for name, _ in table.columns]
    return [dict(zip(names, row, strict=True)) for row in table.rows]


async def _upsert(client: CkanClient, resource_id: str, records: Sequence[dict[str, Any]]) -> None:
    for start in range(0, len(records), BATCH):
        await client.write(
            "datastore_upsert",
            {
                "resource_id": resource_id,
                "method": "upsert",
                "records": list(records[start : start + BATCH]),
                "force": True,
            },
        )


async def _replace(
    client: CkanClient, resource_id: str, table: VerifiedTable, records: list[dict[str, Any]]
) -> None:
    """The table dropped and created again: its columns or rows changed shape."""
    await client.write("datastore_delete", {"resource_id": resource_id, "force": True})
    await _create(client, {"resource_id": resource_id}, table, records)


async def _create(
    client: CkanClient, where: dict[str, Any], table: VerifiedTable, records: list[dict[str, Any]]
) -> str:
    """A DataStore table with the first batch of rows, then the rest: in a new resource
    (`where` gives `resource`) or an existing one (`resource_id`); its resource id."""
    result = await client.write(
        "datastore_create", {**where, **_definition(table), "records": records[:BATCH]}
    )
    resource_id = result.get("resource_id") if isinstance(result, dict) else None
    if not isinstance(resource_id, str):
        raise ActionError("Malformed", "datastore_create: jawaban tanpa resource_id")
    await _upsert(client, resource_id, records[BATCH:])
    return resource_id


async def _patch_period(
    client: CkanClient, mapping: PortalMapping, package: dict[str, Any], period: str
) -> None:
    """The mapping's latest-period field set to `period`: the field the sync reads it from
    (an extra or a package field, in the mapping's order), else the mapping's first name as
    an extra. `package_patch` replaces the whole list of extras, so the others go as they are."""
    names = mapping.fields["latest_period"]
    if not names:
        return
    extras = [dict(e) for e in package.get("extras") or [] if isinstance(e, dict)]
    present: dict[str, dict[str, Any] | str] = {}
    for extra in extras:
        present.setdefault(key(str(extra.get("key", ""))), extra)
    for name, value in package.items():
        if name != "extras" and not isinstance(value, dict | list):
            present.setdefault(key(name), name)
    used = next((present[n] for n in names if n in present), None)
    if isinstance(used, str):  # a package field
        if package.get(used) != period:
            await client.write("package_patch", {"id": package["id"], used: period})
        return
    if used is None:
        extras.append({"key": names[0], "value": period})
    elif used.get("value") == period:
        return
    else:
        used["value"] = period
    await client.write("package_patch", {"id": package["id"], "extras": extras})
