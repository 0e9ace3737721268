"""incidents keep the escalation ladder they were opened (or handed over) with

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 08:00:00

A step timer fires the definition that armed it (DESIGN rule 12): a later `klaxon apply` that edits,
reorders or removes a policy's levels must not change whom an open incident's ladder pages. Incidents
opened before this revision have no snapshot and read their policy as it is.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ladder', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.drop_column('ladder')
