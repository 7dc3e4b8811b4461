"""The store: SQLAlchemy models, the session scope, queries and migrations. ORM objects stay inside.

Outside ``trainui/store/`` only this module is imported: the ``Store`` (one object per database,
every public call its own session), the database it opens, the error types, and the plain value
types and rules that sources and the web share with the store (batches, tokens' principals,
change notices, what a value may be)."""
from . import records, values
from .batch import Applied, AssetsPart, EventsPart, LogCursor, LogPart, Position, ResultBatch
from .changes import ANSWER, COMMAND, PROJECT, RESULT, Notice
from .database import Database, sqlite_path
from .errors import Conflict, Invalid, NotAllowed, NotFound, SchemaOutOfDate, StoreError, first_line
from .front import Store, check_revision
from .leases import Leases
from .project_rules import ProjectRules
from .projects import contains, owner_of
from .schema import safe_url
from .tokens import Principal
from .tokens import digest as token_digest

__all__ = ["ANSWER", "Applied", "AssetsPart", "COMMAND", "Conflict", "Database", "EventsPart", "Invalid", "LogCursor", "Leases", "LogPart",
           "NotAllowed", "NotFound", "Notice", "PROJECT", "Position", "Principal", "ProjectRules", "RESULT", "ResultBatch",
           "SchemaOutOfDate", "Store", "StoreError", "check_revision", "contains", "first_line", "owner_of", "records", "safe_url", "sqlite_path", "token_digest", "values"]
