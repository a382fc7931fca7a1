"""What kind of mail each outbox message is, so that a log line can name it without its address.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as table:
        table.add_column(sa.Column("kind", sa.String(20), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as table:
        table.drop_column("kind")
