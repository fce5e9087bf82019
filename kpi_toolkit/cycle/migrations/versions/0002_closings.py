"""Closed periods (input snapshot, paid lines and totals), reopenings and adjustments.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-05
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "closings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("client", sa.String(100), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("closed_by", sa.String(200), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("decimals", sa.Integer, nullable=False),
        sa.Column("pool_minor", sa.BigInteger, nullable=False),
        sa.Column("input_hashes", sa.Text, nullable=False),
        sa.Column("inputs", sa.LargeBinary, nullable=False),
    )
    op.create_index("ix_closings_client_period", "closings", ["client", "period"])
    op.create_table(
        "closed_totals",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("closing_id", sa.Integer, sa.ForeignKey("closings.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("employee_id", sa.String(200), nullable=False),
        sa.Column("position_id", sa.String(200), nullable=False),
        sa.Column("bonus_minor", sa.BigInteger, nullable=False),
        sa.Column("fields", sa.Text, nullable=False),
    )
    op.create_table(
        "closed_lines",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("closing_id", sa.Integer, sa.ForeignKey("closings.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("employee_id", sa.String(200), nullable=False),
        sa.Column("kpi_id", sa.String(200), nullable=False),
        sa.Column("bonus_minor", sa.BigInteger, nullable=False),
        sa.Column("fields", sa.Text, nullable=False),
    )
    op.create_table(
        "reopenings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("client", sa.String(100), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("closing_id", sa.Integer, sa.ForeignKey("closings.id"), nullable=False),
        sa.Column("reopened_by", sa.String(200), nullable=False),
        sa.Column("reopened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
    )
    op.create_index("ix_reopenings_client_period", "reopenings", ["client", "period"])
    op.create_table(
        "adjustments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("client", sa.String(100), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("corrects", sa.String(7), nullable=False),
        sa.Column("employee_id", sa.String(200), nullable=False),
        sa.Column("position_id", sa.String(200), nullable=False),
        sa.Column("amount_minor", sa.BigInteger, nullable=False),
        sa.Column("closing_id", sa.Integer, sa.ForeignKey("closings.id"), nullable=False),
        sa.Column("booked_by", sa.String(200), nullable=False),
        sa.Column("booked_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_adjustments_client_period", "adjustments", ["client", "period"])


def downgrade() -> None:
    op.drop_table("adjustments")
    op.drop_table("reopenings")
    op.drop_table("closed_lines")
    op.drop_table("closed_totals")
    op.drop_table("closings")
