"""regions down to desa, breakdowns, several indicators per dataset

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02

Regions gain their dotted Kemendagri code and lose the unique name (a kecamatan and a desa,
or desa of two kecamatan, may share one). Observations gain their categories (empty: the
total) and whether a total was computed; indicators their column order and the categories
they are broken down by; datasets a digest of the portal tables last read. Existing values
are all totals, so they keep their meaning with an empty `categories`.
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("regions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kemendagri_code", sa.String(length=16), nullable=True))
        batch_op.drop_constraint("uq_regions_name", type_="unique")
        batch_op.create_unique_constraint("uq_regions_kemendagri_code", ["kemendagri_code"])
        batch_op.create_index("ix_regions_name", ["name"], unique=False)
    # Down to kabupaten/kota the BPS code is the Kemendagri code without its dot, except in
    # Papua, where the two lists numbered the provinces apart (BPS 94 Papua, Kemendagri 94
    # Papua Tengah): those are left for the Kemendagri list to number.
    op.execute(
        "UPDATE regions SET kemendagri_code = code "
        "WHERE code IS NOT NULL AND length(code) = 2 AND code NOT LIKE '9%'"
    )
    op.execute(
        "UPDATE regions SET kemendagri_code = substr(code, 1, 2) || '.' || substr(code, 3, 2) "
        "WHERE code IS NOT NULL AND length(code) = 4 AND code NOT LIKE '9%'"
    )
    with op.batch_alter_table("observations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("categories", sa.String(length=400), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("computed", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.drop_constraint("uq_observations_indicator_id", type_="unique")
        batch_op.create_unique_constraint(
            "uq_observations_indicator_id", ["indicator_id", "region_id", "period", "categories"]
        )
    with op.batch_alter_table("indicators", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("position", sa.SmallInteger(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("datasets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tables_digest", sa.String(length=64), nullable=True))
    op.create_table(
        "indicator_categories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("indicator_id", sa.Integer(), nullable=False),
        sa.Column("dimension", sa.String(length=64), nullable=False),
        sa.Column("dimension_label", sa.String(length=120), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["indicator_id"],
            ["indicators.id"],
            name="fk_indicator_categories_indicator_id_indicators",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_indicator_categories"),
        sa.UniqueConstraint(
            "indicator_id", "dimension", "key", name="uq_indicator_categories_indicator_id"
        ),
    )


def downgrade() -> None:
    op.drop_table("indicator_categories")
    with op.batch_alter_table("datasets", schema=None) as batch_op:
        batch_op.drop_column("tables_digest")
    with op.batch_alter_table("indicators", schema=None) as batch_op:
        batch_op.drop_column("position")
    # Only totals fit the old schema: breakdowns and computed totals go.
    op.execute("DELETE FROM observations WHERE categories <> '' OR computed")
    with op.batch_alter_table("observations", schema=None) as batch_op:
        batch_op.drop_constraint("uq_observations_indicator_id", type_="unique")
        batch_op.create_unique_constraint(
            "uq_observations_indicator_id", ["indicator_id", "region_id", "period"]
        )
        batch_op.drop_column("computed")
        batch_op.drop_column("categories")
    op.execute(
        "DELETE FROM regions WHERE level IN ('kecamatan', 'desa', 'kelurahan') "
        "AND id NOT IN (SELECT region_id FROM observations)"
    )
    with op.batch_alter_table("regions", schema=None) as batch_op:
        batch_op.drop_index("ix_regions_name")
        batch_op.drop_constraint("uq_regions_kemendagri_code", type_="unique")
        batch_op.create_unique_constraint("uq_regions_name", ["name"])
        batch_op.drop_column("kemendagri_code")
