"""compliance snapshots and outbox files

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "compliance_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("scope", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("taken_at", sa.DateTime(), nullable=False),
        sa.Column("scheduled", sa.Integer(), nullable=False),
        sa.Column("up_to_date", sa.Integer(), nullable=False),
        sa.Column("due_soon", sa.Integer(), nullable=False),
        sa.Column("overdue", sa.Integer(), nullable=False),
        sa.Column("average_days_late", sa.Float(), nullable=False),
        sa.Column("worst_days_late", sa.Integer(), nullable=False),
        sa.Column("percent", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_compliance_snapshots")),
        sa.UniqueConstraint("week", "scope", name=op.f("uq_compliance_snapshots_week")),
    )
    op.create_table(
        "outbox_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("telegram_file_id", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_files")),
        sa.UniqueConstraint("sha256", name=op.f("uq_outbox_files_sha256")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("file_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("file_kind", sa.String(length=16), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_outbox_file_id_outbox_files"), "outbox_files", ["file_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_outbox_file_id_outbox_files"), type_="foreignkey")
        batch_op.drop_column("file_kind")
        batch_op.drop_column("file_id")
    op.drop_table("outbox_files")
    op.drop_table("compliance_snapshots")
