"""When a failed publication job is tried again by itself (15 s after its first failure, doubling
to 10 minutes), as deployments are.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("publication_jobs") as table:
        table.add_column(sa.Column("next_try", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("publication_jobs") as table:
        table.drop_column("next_try")
