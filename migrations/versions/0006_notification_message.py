"""a page can carry a line from whoever asked for it (a responder request)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 14:00:00

`POST /incidents/<id>/responders` pages more people "with the commander's message" (issue 12): the
page keeps its actions and shows that line above the incident, on every channel.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('message', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_column('message')
