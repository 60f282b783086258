"""a person's language may be unchosen (NULL)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29

`people.language` was NOT NULL with 'id' filled in for everyone, so a person who never chose a
language (imported from a list) read as having chosen Indonesian and was answered in it even
from an English Telegram app. Existing rows keep their value: a default 'id' cannot be told
apart from a chosen one.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.alter_column("language", existing_type=sa.String(length=2), nullable=True)


def downgrade() -> None:
    op.execute("UPDATE people SET language = 'id' WHERE language IS NULL")
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.alter_column("language", existing_type=sa.String(length=2), nullable=False)
