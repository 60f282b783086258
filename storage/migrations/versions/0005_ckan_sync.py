"""data portal sync: package and organization links, withdrawals, sync state

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "portal_syncs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("portal", sa.String(length=300), nullable=False),
        sa.Column("last_success_at", sa.DateTime(), nullable=True),
        sa.Column("last_full_at", sa.DateTime(), nullable=True),
        sa.Column("high_water", sa.DateTime(), nullable=True),
        sa.Column("mapping_digest", sa.String(length=64), nullable=False),
        sa.Column("outage_since", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_syncs")),
        sa.UniqueConstraint("portal", name=op.f("uq_portal_syncs_portal")),
    )
    with op.batch_alter_table("datasets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("portal_modified", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("withdrawn_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("opds", schema=None) as batch_op:
        batch_op.add_column(sa.Column("external_id", sa.String(length=200), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_opds_external_id"), ["external_id"])


def downgrade() -> None:
    with op.batch_alter_table("opds", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_opds_external_id"), type_="unique")
        batch_op.drop_column("external_id")
    with op.batch_alter_table("datasets", schema=None) as batch_op:
        batch_op.drop_column("withdrawn_at")
        batch_op.drop_column("portal_modified")
    op.drop_table("portal_syncs")
