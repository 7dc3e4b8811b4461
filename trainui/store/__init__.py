"""The store: SQLAlchemy models, the session scope, queries and migrations. ORM objects stay inside."""
from .database import Database
from .errors import Conflict, Invalid, NotAllowed, NotFound, SchemaOutOfDate, StoreError

__all__ = ["Database", "Conflict", "Invalid", "NotAllowed", "NotFound", "SchemaOutOfDate", "StoreError"]
