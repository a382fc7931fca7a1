"""Security: the author's sessions kept server-side, single-use form tokens, and an opaque key for
each subscriber (their links carry it, never the address).

Revision ID: 0003
Revises: 0002
"""

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "author_sessions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires", sa.DateTime(timezone=True), nullable=False, index=True),
    )
    op.create_table(
        "used_tokens",
        sa.Column("nonce", sa.String(64), primary_key=True),
        sa.Column("used", sa.DateTime(timezone=True), nullable=False, index=True),
    )
    with op.batch_alter_table("subscribers") as batch:
        batch.add_column(sa.Column("key", sa.String(64), nullable=False, server_default=""))
    subscribers = sa.table("subscribers", sa.column("email", sa.String), sa.column("key", sa.String))
    connection = op.get_bind()
    for (email,) in connection.execute(sa.select(subscribers.c.email)).all():
        connection.execute(
            subscribers.update().where(subscribers.c.email == email).values(key=secrets.token_urlsafe(18))
        )
    op.create_index("ix_subscribers_key", "subscribers", ["key"])


def downgrade() -> None:
    op.drop_index("ix_subscribers_key", "subscribers")
    with op.batch_alter_table("subscribers") as batch:
        batch.drop_column("key")
    op.drop_table("used_tokens")
    op.drop_table("author_sessions")
