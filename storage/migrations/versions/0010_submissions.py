"""liaisons' files waiting for the walidata's decision

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03

A file a liaison sends in chat that passes the automatic checks is kept, with its warnings
and the liaison's note, until a walidata accepts it into the registry or returns it.
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "submissions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("submitted_by", sa.Integer(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(), nullable=False),
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("warnings", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("reason_by", sa.Integer(), nullable=True),
        sa.Column("reason_asked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["datasets.id"],
            name="fk_submissions_dataset_id_datasets",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by"], ["people.id"], name="fk_submissions_submitted_by_people"
        ),
        sa.ForeignKeyConstraint(
            ["file_id"], ["outbox_files.id"], name="fk_submissions_file_id_outbox_files"
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["people.id"], name="fk_submissions_decided_by_people"
        ),
        sa.ForeignKeyConstraint(
            ["reason_by"], ["people.id"], name="fk_submissions_reason_by_people"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_submissions"),
    )
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.create_index("ix_submissions_status", ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.drop_index("ix_submissions_status")
    op.drop_table("submissions")
