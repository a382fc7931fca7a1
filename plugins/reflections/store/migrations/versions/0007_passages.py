"""The passage of an essay a reflection answers, and the words it quotes.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reflections") as table:
        table.add_column(sa.Column("passage", sa.String(64), nullable=False, server_default=""))
        table.add_column(sa.Column("quote", sa.String(300), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("reflections") as table:
        table.drop_column("quote")
        table.drop_column("passage")
