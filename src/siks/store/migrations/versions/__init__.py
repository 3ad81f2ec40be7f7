"""Alembic revisions, one file each (alembic skips this file)."""
