"""SQLAlchemy 2 models, the session factories (`Database.write()`/`read()`), Alembic migrations.

Imports SQLAlchemy and Alembic only: nothing of leadbot's.
"""
