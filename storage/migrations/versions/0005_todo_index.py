"""a rep's to-do: partial index on leads without a first contact

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 15:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

NO_CONTACT = sa.text("first_contact_at IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.create_index(
            "ix_leads_todo",
            ["owner_id", "received_at", "status"],
            unique=False,
            sqlite_where=NO_CONTACT,
            postgresql_where=NO_CONTACT,
        )


def downgrade() -> None:
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_index("ix_leads_todo")
