"""Alembic environment and revisions of the siks schema."""
