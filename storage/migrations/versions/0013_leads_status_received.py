"""leads (status, received_at): the dashboard's "waiting now", oldest first, per open status

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-26 17:00:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_leads_status_received", "leads", ["status", "received_at"])


def downgrade() -> None:
    op.drop_index("ix_leads_status_received", table_name="leads")
