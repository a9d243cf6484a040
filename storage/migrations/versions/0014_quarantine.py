"""sources: the quarantine of authentic lead payloads that could not be taken as leads

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-26 19:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "quarantine",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("problems", sa.JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "lead_id", sa.Integer, sa.ForeignKey("leads.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("note", sa.Text, nullable=True),
    )
    op.create_index("ix_quarantine_status_id", "quarantine", ["status", "id"])


def downgrade() -> None:
    op.drop_index("ix_quarantine_status_id", table_name="quarantine")
    op.drop_table("quarantine")
