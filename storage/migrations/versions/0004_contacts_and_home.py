"""logged contacts, stats index, App Home tabs

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 14:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "home_tabs",
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("user_id"),
    )
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("first_contact_by", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("first_contact_wait_seconds", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("last_contact_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("last_contact_outcome", sa.String(length=32), nullable=True))
        batch_op.add_column(
            sa.Column("contact_count", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.create_index("ix_leads_received_at", ["received_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_index("ix_leads_received_at")
        batch_op.drop_column("contact_count")
        batch_op.drop_column("last_contact_outcome")
        batch_op.drop_column("last_contact_at")
        batch_op.drop_column("first_contact_wait_seconds")
        batch_op.drop_column("first_contact_by")
    op.drop_table("home_tabs")
