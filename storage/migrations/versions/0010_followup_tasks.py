"""follow-up: tasks (the planned touches of a cadence, and the first contact) and touches

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "tasks",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "lead_id", sa.Integer, sa.ForeignKey("leads.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("owner_id", sa.String(32), nullable=False),
        sa.Column("cadence", sa.String(32), nullable=True),
        sa.Column("step", sa.Integer, nullable=False),
        sa.Column("steps", sa.Integer, nullable=False),
        sa.Column("day", sa.Integer, nullable=True),
        sa.Column("channels", sa.JSON, nullable=False),
        sa.Column("template", sa.String(64), nullable=True),
        sa.Column("final", sa.Boolean, nullable=False),
        sa.Column("due_at", WHEN, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("result", sa.String(32), nullable=True),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("done_at", WHEN, nullable=True),
        sa.Column("done_by", sa.String(32), nullable=True),
        sa.Column("next_action_at", WHEN, nullable=True),
        sa.Column("overdue_step", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("card_channel", sa.String(32), nullable=True),
        sa.Column("card_ts", sa.String(32), nullable=True),
        sa.Column("shown_version", sa.Integer, nullable=False),
        sa.UniqueConstraint("lead_id", "step", name="uq_tasks_lead_step"),
    )
    op.create_index("ix_tasks_owner_status_due", "tasks", ["owner_id", "status", "due_at"])
    op.create_index("ix_tasks_next_action_at", "tasks", ["next_action_at"])
    op.create_table(
        "touches",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "lead_id", sa.Integer, sa.ForeignKey("leads.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column(
            "task_id", sa.Integer, sa.ForeignKey("tasks.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("at", WHEN, nullable=False),
        sa.Column("by", sa.String(32), nullable=False),
        sa.Column("channel", sa.String(16), nullable=True),
        sa.Column("template", sa.String(64), nullable=True),
        sa.Column("result", sa.String(32), nullable=False),
        sa.Column("detail", sa.JSON, nullable=False),
    )
    op.create_index("ix_touches_lead_at", "touches", ["lead_id", "at"])
    op.create_index("ix_touches_template_at", "touches", ["template", "at"])
    op.create_table(
        "agendas_sent",
        sa.Column("user_id", sa.String(32), primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("sent_at", WHEN, nullable=False),
        sa.Column("tasks", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("agendas_sent")
    op.drop_table("touches")
    op.drop_table("tasks")
