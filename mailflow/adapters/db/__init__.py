"""Storage: SQLAlchemy models, engine and Alembic migrations (SQLite by default, PostgreSQL by URL)."""
