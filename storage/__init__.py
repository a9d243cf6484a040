"""SQLAlchemy 2 models, the session factories (`Database.write()`/`read()`), Alembic migrations.

Imports SQLAlchemy and Alembic only: nothing of leadbot's. Every model module is imported here,
so `Base.metadata` (Alembic, the schema check) always holds every table.
"""

from storage import crm, followup, models, sources

__all__ = ["crm", "followup", "models", "sources"]
