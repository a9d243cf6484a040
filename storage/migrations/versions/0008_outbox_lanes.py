"""outbox rows carry their lane (the channel they pace on), their priority, and whether an
earlier attempt may have reached Slack

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 22:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("lane", sa.String(32), nullable=True))
        batch.add_column(
            sa.Column("priority", sa.SmallInteger(), nullable=False, server_default="5")
        )
        batch.add_column(
            sa.Column("maybe_sent", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    # Rows written before this revision: their lane and a priority by kind (bot/delivery/lanes.py).
    op.execute("UPDATE outbox SET lane = target WHERE kind IN ('post_card', 'message')")
    op.execute(
        "UPDATE outbox SET lane = (SELECT channel FROM card_copies WHERE card_copies.id = "
        "outbox.card_copy_id) WHERE kind = 'update_card'"
    )
    op.execute("UPDATE outbox SET priority = 1 WHERE kind = 'post_card' AND copy_kind = 'dm'")
    op.execute("UPDATE outbox SET priority = 2 WHERE kind = 'message' AND target LIKE 'U%'")
    op.execute("UPDATE outbox SET priority = 3 WHERE kind = 'post_card' AND copy_kind != 'dm'")
    op.execute("UPDATE outbox SET priority = 4 WHERE kind = 'update_card'")
    op.create_index("ix_outbox_status_priority", "outbox", ["status", "priority", "id"])


def downgrade() -> None:
    op.drop_index("ix_outbox_status_priority", table_name="outbox")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("maybe_sent")
        batch.drop_column("priority")
        batch.drop_column("lane")
