"""lead outcomes: how a lead ended (won with an amount, lost with a reason, not a fit, ...)

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26 13:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable columns without defaults: a metadata change on both databases, however many
    # leads the table holds.
    # leads the table holds (SQLite's ADD COLUMN too: no batch copy of the table).
    op.add_column("leads", sa.Column("outcome", sa.String(32), nullable=True))
    op.add_column("leads", sa.Column("outcome_amount", sa.Numeric(14, 2), nullable=True))
    op.add_column("leads", sa.Column("outcome_reason", sa.String(64), nullable=True))
    op.add_column("leads", sa.Column("outcome_note", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("leads") as batch:
        for column in ("outcome_note", "outcome_reason", "outcome_amount", "outcome"):
            batch.drop_column(column)
