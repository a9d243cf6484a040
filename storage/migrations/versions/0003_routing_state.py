"""routing state

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 13:45:11.891634
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rep_away",
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("user_id"),
    )
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("routing_pool", sa.String(length=64), nullable=True))
        batch_op.create_index("ix_leads_email_assigned", ["email", "assigned_at"], unique=False)
        batch_op.create_index("ix_leads_owner_assigned", ["owner_id", "assigned_at"], unique=False)
        batch_op.create_index("ix_leads_routing_pool_id", ["routing_pool", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_index("ix_leads_routing_pool_id")
        batch_op.drop_index("ix_leads_owner_assigned")
        batch_op.drop_index("ix_leads_email_assigned")
        batch_op.drop_column("routing_pool")

    op.drop_table("rep_away")
