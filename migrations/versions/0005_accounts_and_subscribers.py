"""accounts, a service's account, a user's status channel, incident subscribers

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 13:30:00

Accounts (CONTRACT section 8) are the customers or business units services belong to: their
director and stakeholders are targets (`account:director`, `account:stakeholders`). Subscribers
hear an incident's status updates on their `status_channel`, never as a page.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import app.platform.database

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('account',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(), nullable=False),
    sa.Column('account_director', sa.String(length=64), nullable=True),
    sa.Column('stakeholders', sa.JSON(), nullable=False),
    sa.Column('sla', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('service', schema=None) as batch_op:
        batch_op.add_column(sa.Column('account_id', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_service_account_id'), ['account_id'], unique=False)
        batch_op.create_foreign_key('fk_service_account_id', 'account', ['account_id'], ['id'])
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status_channel', sa.String(), nullable=False, server_default='slack'))
    op.create_table('incident_subscriber',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.String(length=64), nullable=False),
    sa.Column('added_by', sa.String(length=64), nullable=False),
    sa.Column('added_at', app.platform.database.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('incident_id', 'user_id', name='uq_subscriber_once')
    )
    with op.batch_alter_table('incident_subscriber', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incident_subscriber_incident_id'), ['incident_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('incident_subscriber', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incident_subscriber_incident_id'))
    op.drop_table('incident_subscriber')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('status_channel')
    with op.batch_alter_table('service', schema=None) as batch_op:
        batch_op.drop_constraint('fk_service_account_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_service_account_id'))
        batch_op.drop_column('account_id')
    op.drop_table('account')
