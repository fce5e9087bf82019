"""Fact submissions: who returned which workbook, when, its hash, and every changed cell.

Revision ID: 0001
Revises:
Create Date: 2026-12-05
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "submissions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("client", sa.String(100), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("scope_kind", sa.String(20), nullable=False),
        sa.Column("scope", sa.String(200), nullable=False),
        sa.Column("file_name", sa.String(500), nullable=False),
        sa.Column("file_hash", sa.String(64), nullable=False),
        sa.Column("submitted_by", sa.String(200), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cells_changed", sa.Integer, nullable=False),
    )
    op.create_index("ix_submissions_client_hash", "submissions", ["client", "file_hash"])
    op.create_index("ix_submissions_client_period", "submissions", ["client", "period"])
    op.create_table(
        "submission_cells",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("submission_id", sa.Integer, sa.ForeignKey("submissions.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("employee_id", sa.String(200), nullable=False),
        sa.Column("kpi_id", sa.String(200), nullable=False),
        sa.Column("actuals_row", sa.Integer),
        sa.Column("old_fact", sa.String(100)),
        sa.Column("new_fact", sa.String(100)),
    )


def downgrade() -> None:
    op.drop_table("submission_cells")
    op.drop_table("submissions")
