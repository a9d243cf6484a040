"""signed Slack requests already handled, so a replay within the window is ignored

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 18:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "seen_slack_requests",
        sa.Column("signature", sa.String(80), primary_key=True),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_seen_slack_requests_seen_at", "seen_slack_requests", ["seen_at"])


def downgrade() -> None:
    op.drop_index("ix_seen_slack_requests_seen_at", table_name="seen_slack_requests")
    op.drop_table("seen_slack_requests")
