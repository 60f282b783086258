"""each chat remembers its last question for a few minutes

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05

A follow-up ("kalau tahun 2020?", "bagaimana dengan Kota Malang?") and a typed answer to a
clarifying question ("2", "Kota") are read against the chat's last question and the choices
it was offered. One row per person and chat, overwritten on every answer; how many people
last asked about each indicator says which are asked most.
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "chat_contexts",
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("saved_at", sa.DateTime(), nullable=False),
        sa.Column("ask", sa.String(length=64), nullable=True),
        sa.Column("indicator_id", sa.Integer(), nullable=True),
        sa.Column("categories", sa.String(length=500), nullable=False),
        sa.Column("choices", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("chat_id", "user_id", name=op.f("pk_chat_contexts")),
    )


def downgrade() -> None:
    op.drop_table("chat_contexts")
