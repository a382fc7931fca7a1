"""The author's marks on readers: blocked (what they send later is kept as spam, silently) or
trusted (published without waiting), by a confirmed email's keyed hash, a site's domain or an
account elsewhere.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reader_marks",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("mark", sa.String(16), nullable=False),
        sa.Column("what", sa.String(16), nullable=False),
        sa.Column("value", sa.String(300), nullable=False),
        sa.Column("label", sa.String(300), nullable=False, server_default=""),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("mark", "what", "value", name="uq_reader_marks"),
    )


def downgrade() -> None:
    op.drop_table("reader_marks")
