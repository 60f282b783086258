"""verified tables waiting to be published to the portal

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04

When a walidata accepts a liaison's file for a dataset of the region's CKAN portal, the
dataset's table is written here in the same transaction and published from here, so a
portal outage delays the publication and never loses or repeats it.
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "portal_pushes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("package_id", sa.String(length=200), nullable=False),
        sa.Column("table", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("pushed_at", sa.DateTime(), nullable=True),
        sa.Column("resource_id", sa.String(length=200), nullable=True),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("delay_told", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
            name="fk_portal_pushes_submission_id_submissions",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["datasets.id"],
            name="fk_portal_pushes_dataset_id_datasets",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_portal_pushes"),
        sa.UniqueConstraint("submission_id", name="uq_portal_pushes_submission_id"),
    )
    with op.batch_alter_table("portal_pushes", schema=None) as batch_op:
        batch_op.create_index("ix_portal_pushes_status", ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("portal_pushes", schema=None) as batch_op:
        batch_op.drop_index("ix_portal_pushes_status")
    op.drop_table("portal_pushes")
