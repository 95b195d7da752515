"""public.signups and public.signup_invites: the self-service sign-up (platform/signup.py).

A sign-up waits in ``signups`` until its owner opens the e-mailed link: it holds the owner's
address, the bcrypt hash of the chosen password (never the password) and the restaurant's
name, subdomain and region. While unconfirmed and younger than 24 hours it reserves its
subdomain (a partial unique index: one pending sign-up per subdomain); once confirmed it
keeps the restaurant it became (``tenant_id``), so a second use of the link is told so.
``signup_invites`` holds the SHA-256 of each invite code ``flask platform invite`` printed,
and when it was used (single use).

Revision ID: p0006_signups
Revises: p0005_suspension
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "p0006_signups"
down_revision = "p0005_suspension"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "signups",
        sa.Column(
            "id", UUID(as_uuid=True), primary_key=True, server_default=sa.text("gen_random_uuid()")
        ),
        sa.Column("subdomain", sa.String(), nullable=False),
        sa.Column("restaurant_name", sa.String(), nullable=False),
        sa.Column("email", sa.String(), nullable=False),
        sa.Column("hashed_password", sa.String(), nullable=False),
        sa.Column("settings", sa.dialects.postgresql.JSONB(), nullable=False),
        sa.Column("sample_menu", sa.Boolean(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.text("now()"),
        ),
        sa.Column("confirmed_at", sa.DateTime(timezone=True)),
        sa.Column("tenant_id", UUID(as_uuid=True)),
        schema="public",
    )
    op.create_index(
        "signups_pending_subdomain",
        "signups",
        ["subdomain"],
        unique=True,
        schema="public",
        postgresql_where=sa.text("confirmed_at IS NULL"),
    )
    op.create_table(
        "signup_invites",
        sa.Column("code_hash", sa.String(), primary_key=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.text("now()"),
        ),
        sa.Column("used_at", sa.DateTime(timezone=True)),
        schema="public",
    )


def downgrade() -> None:
    op.drop_table("signup_invites", schema="public")
    op.drop_index("signups_pending_subdomain", table_name="signups", schema="public")
    op.drop_table("signups", schema="public")
