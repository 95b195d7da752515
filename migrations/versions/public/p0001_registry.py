"""The tenant registry: public.tenants, and the version row workers poll to keep caches fresh.

Revision ID: p0001_registry
Revises:
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "p0001_registry"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tenants",
        sa.Column(
            "id",
            postgresql.UUID(as_uuid=True),
            primary_key=True,
            server_default=sa.text("gen_random_uuid()"),
        ),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("schema_name", sa.String(), nullable=False, unique=True),
        sa.Column("domain", sa.String(), nullable=False, unique=True),
        sa.Column(
            "theme_config",
            postgresql.JSONB(),
            nullable=False,
            server_default=sa.text("'{}'::jsonb"),
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.text("now()"),
        ),
        schema="public",
    )
    op.create_table(
        "registry_version",
        sa.Column("singleton", sa.Boolean(), primary_key=True, server_default=sa.text("true")),
        sa.Column("version", sa.BigInteger(), nullable=False, server_default=sa.text("0")),
        sa.CheckConstraint("singleton", name="registry_version_singleton"),
        schema="public",
    )
    op.execute("INSERT INTO public.registry_version DEFAULT VALUES")
    op.execute("""
        CREATE FUNCTION public.bump_registry_version() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE public.registry_version SET version = version + 1;
            RETURN NULL;
        END $$
    """)
    op.execute("""
        CREATE TRIGGER tenants_bump_registry_version
        AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON public.tenants
        FOR EACH STATEMENT EXECUTE FUNCTION public.bump_registry_version()
    """)


def downgrade() -> None:
    op.execute("DROP TRIGGER tenants_bump_registry_version ON public.tenants")
    op.execute("DROP FUNCTION public.bump_registry_version()")
    op.drop_table("registry_version", schema="public")
    op.drop_table("tenants", schema="public")
