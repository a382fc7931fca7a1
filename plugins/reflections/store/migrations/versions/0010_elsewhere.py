"""Replies from elsewhere: where an item came from (its origin and its own address, the author's
site), the webmentions received (kept before they are acknowledged) and when each essay's posts
elsewhere were last read.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reflections") as table:
        table.add_column(sa.Column("origin", sa.String(16), nullable=False, server_default=""))
        table.add_column(sa.Column("source", sa.String(2000), nullable=False, server_default=""))
        table.add_column(sa.Column("website", sa.String(300), nullable=False, server_default=""))
        table.create_index("ix_reflections_source", ["source"])
    # One item per reply elsewhere, however many workers verify its mentions at once.
    op.create_index(
        "ix_reflections_origin_source",
        "reflections",
        ["origin", "source"],
        unique=True,
        sqlite_where=sa.text("source != ''"),
        postgresql_where=sa.text("source != ''"),
    )
    op.create_table(
        "mentions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("source", sa.String(2000), nullable=False),
        sa.Column("target", sa.String(2000), nullable=False),
        sa.Column("essay", sa.String(200), nullable=False, server_default=""),
        sa.Column("state", sa.String(16), nullable=False, index=True),
        sa.Column("reason", sa.Text(), nullable=False, server_default=""),
        sa.Column("kind", sa.String(16), nullable=False, server_default=""),
        sa.Column("item", sa.String(64), nullable=False, server_default=""),
        sa.Column("received", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checked", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
    )
    op.create_index("ix_mentions_source", "mentions", ["source"])
    op.create_table(
        "remote_posts",
        sa.Column("essay", sa.String(200), primary_key=True),
        sa.Column("origin", sa.String(16), primary_key=True),
        sa.Column("post", sa.String(2000), nullable=False),
        sa.Column("next_read", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_read", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_result", sa.Text(), nullable=False, server_default=""),
    )


def downgrade() -> None:
    op.drop_table("remote_posts")
    op.drop_index("ix_mentions_source", "mentions")
    op.drop_table("mentions")
    op.drop_index("ix_reflections_origin_source", "reflections")
    with op.batch_alter_table("reflections") as table:
        table.drop_index("ix_reflections_source")
        table.drop_column("website")
        table.drop_column("source")
        table.drop_column("origin")
