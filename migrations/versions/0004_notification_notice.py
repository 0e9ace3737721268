"""an outbox row can be a notice (text to tell someone), not a page

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 12:50:00

A hand-over tells the previous responders once that the incident left them (CONTRACT section 6).
That message goes through the outbox like a page (claimed once, retried, on the timeline) but it
carries its own text, has no actions and is never re-paged: `notice` holds the text.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notice', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_column('notice')
