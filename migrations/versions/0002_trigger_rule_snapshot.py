"""open-time trigger timers keep the rule that armed them

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 07:40:00

A trigger timer fires the definition that armed it (DESIGN rule 12): a later `klaxon apply` that
reorders, edits or removes triggers must not change whom it pages. Rows armed before this revision
have no snapshot and fall back to the policy's rule at their index.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('incident_trigger', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rule', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('incident_trigger', schema=None) as batch_op:
        batch_op.drop_column('rule')
