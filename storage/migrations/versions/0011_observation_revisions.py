"""revised values keep the value they replaced

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03

A table that corrects a published value (a liaison's file for a period already in the
registry, a portal's corrected table) keeps the old value here and marks the observation
`perbaikan`, so answers can say the figure was revised.
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "observation_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("observation_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("decimals", sa.SmallInteger(), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("replaced_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["observation_id"],
            ["observations.id"],
            name="fk_observation_revisions_observation_id_observations",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_observation_revisions"),
    )
    with op.batch_alter_table("observation_revisions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_observation_revisions_observation_id", ["observation_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("observation_revisions", schema=None) as batch_op:
        batch_op.drop_index("ix_observation_revisions_observation_id")
    op.drop_table("observation_revisions")
