"""outbox messages know until when they are worth sending

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04

A reminder queued during a Telegram outage is superseded by the chase's next step; sent late
it would tell a liaison "14 days left" a day before the deadline. A digest is worth sending
only within its week's catching up. Past `expires_at` the sender cancels the message.
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("expires_at")
