"""data requests and their recipients

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "data_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("file_id", sa.Integer(), nullable=True),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("dataset_id", sa.Integer(), nullable=True),
        sa.Column("audience", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("progress_outbox_id", sa.Integer(), nullable=True),
        sa.Column("progress_text", sa.Text(), nullable=False),
        sa.Column("progress_done_at", sa.DateTime(), nullable=True),
        sa.Column("reminded_steps", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["people.id"], name=op.f("fk_data_requests_created_by_people")
        ),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["datasets.id"],
            name=op.f("fk_data_requests_dataset_id_datasets"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["file_id"], ["outbox_files.id"], name=op.f("fk_data_requests_file_id_outbox_files")
        ),
        sa.ForeignKeyConstraint(
            ["progress_outbox_id"],
            ["outbox.id"],
            name=op.f("fk_data_requests_progress_outbox_id_outbox"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_requests")),
    )
    with op.batch_alter_table("data_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_data_requests_created_by"), ["created_by"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_data_requests_status"), ["status"], unique=False)
    op.create_table(
        "data_request_recipients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("opd_id", sa.Integer(), nullable=True),
        sa.Column("outbox_id", sa.Integer(), nullable=True),
        sa.Column("answer", sa.String(length=16), nullable=True),
        sa.Column("promised_date", sa.Date(), nullable=True),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.Column("answer_file_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["answer_file_id"],
            ["outbox_files.id"],
            name=op.f("fk_data_request_recipients_answer_file_id_outbox_files"),
        ),
        sa.ForeignKeyConstraint(
            ["opd_id"], ["opds.id"], name=op.f("fk_data_request_recipients_opd_id_opds")
        ),
        sa.ForeignKeyConstraint(
            ["outbox_id"], ["outbox.id"], name=op.f("fk_data_request_recipients_outbox_id_outbox")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_data_request_recipients_person_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["data_requests.id"],
            name=op.f("fk_data_request_recipients_request_id_data_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_request_recipients")),
        sa.UniqueConstraint(
            "request_id", "person_id", name=op.f("uq_data_request_recipients_request_id")
        ),
    )
    with op.batch_alter_table("data_request_recipients", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_data_request_recipients_outbox_id"), ["outbox_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_data_request_recipients_person_id"), ["person_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("data_request_recipients")
    op.drop_table("data_requests")
