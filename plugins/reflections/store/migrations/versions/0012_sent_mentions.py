"""Webmentions sent: each link of an essay is told once per change of the essay.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sent_mentions",
        sa.Column("essay", sa.String(200), primary_key=True),
        sa.Column("target", sa.String(2000), primary_key=True),
        sa.Column("change", sa.String(64), primary_key=True),
        sa.Column("endpoint", sa.String(2000), nullable=False, server_default=""),
        sa.Column("result", sa.Text(), nullable=False, server_default=""),
        sa.Column("sent", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("sent_mentions")
