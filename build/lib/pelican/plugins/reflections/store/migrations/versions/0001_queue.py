"""The queue: reflections, the moderation log and service secrets.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reflections",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("essay", sa.String(200), nullable=False, index=True),
        sa.Column("parent", sa.String(64), nullable=False, server_default=""),
        sa.Column("kind", sa.String(16), nullable=False, server_default="reflection"),
        sa.Column("visibility", sa.String(8), nullable=False, server_default="public"),
        sa.Column("state", sa.String(16), nullable=False, server_default="pending", index=True),
        sa.Column("name", sa.String(80), nullable=False, server_default=""),
        sa.Column("email", sa.String(254), nullable=False, server_default=""),
        sa.Column("notify", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("content_note", sa.String(120), nullable=False, server_default=""),
        sa.Column("address_hash", sa.String(64), nullable=False, server_default="", index=True),
        sa.Column("body_hash", sa.String(64), nullable=False, server_default="", index=True),
        sa.Column("flags", sa.String(200), nullable=False, server_default=""),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "moderation_log",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("item", sa.String(64), nullable=False, index=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(80), nullable=False, server_default=""),
        sa.Column("detail", sa.Text(), nullable=False, server_default=""),
    )
    op.create_table(
        "service_secrets",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.String(200), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("service_secrets")
    op.drop_table("moderation_log")
    op.drop_table("reflections")
