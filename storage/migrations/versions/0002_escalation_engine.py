"""escalation engine

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 12:40:03.409893
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "held_nudges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deliver_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("held_nudges", schema=None) as batch_op:
        batch_op.create_index("ix_held_nudges_status_due", ["status", "deliver_at"], unique=False)

    with op.batch_alter_table("leads", schema=None) as batch_op:
        # Server defaults: leads stored before this revision get an empty chain at step 0.
        batch_op.add_column(
            sa.Column("chain", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
        batch_op.add_column(
            sa.Column("escalation_step", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("escalation_started_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("next_action_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("sla_breached_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("claim_wait_seconds", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("claim_business_wait_seconds", sa.Float(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_leads_next_action_at"), ["next_action_at"], unique=False
        )

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("payload", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("payload")

    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_leads_next_action_at"))
        batch_op.drop_column("claim_business_wait_seconds")
        batch_op.drop_column("claim_wait_seconds")
        batch_op.drop_column("sla_breached_at")
        batch_op.drop_column("next_action_at")
        batch_op.drop_column("escalation_started_at")
        batch_op.drop_column("escalation_step")
        batch_op.drop_column("chain")

    with op.batch_alter_table("held_nudges", schema=None) as batch_op:
        batch_op.drop_index("ix_held_nudges_status_due")

    op.drop_table("held_nudges")
