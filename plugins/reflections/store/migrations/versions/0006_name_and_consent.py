"""How a reader's name is shown, and their consent to be quoted.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reflections") as table:
        table.add_column(sa.Column("name_shown", sa.String(10), nullable=False, server_default="full"))
        table.add_column(sa.Column("quote_ok", sa.Boolean, nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("reflections") as table:
        table.drop_column("quote_ok")
        table.drop_column("name_shown")
