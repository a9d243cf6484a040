"""sources: the CRM write-back outbox, one row per lead (the owner the CRM should show)

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-27 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "crm_writes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "lead_id", sa.Integer, sa.ForeignKey("leads.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("object_type", sa.String(16), nullable=False),
        sa.Column("record_id", sa.String(200), nullable=False),
        sa.Column("owner", sa.String(32), nullable=False),
        sa.Column("generation", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("locked_by", sa.String(32), nullable=True),
        sa.Column("written_owner", sa.String(32), nullable=True),
        sa.Column("crm_owner", sa.String(64), nullable=True),
        sa.Column("written_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(500), nullable=True),
        sa.UniqueConstraint("lead_id", name="uq_crm_writes_lead"),
    )
    op.create_index("ix_crm_writes_status_due", "crm_writes", ["status", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_crm_writes_status_due", table_name="crm_writes")
    op.drop_table("crm_writes")
