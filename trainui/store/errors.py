"""The domain's errors; the web layer maps them to HTTP status codes in one place."""


def first_line(error: Exception) -> str:
    """What a database error says, in one line: the driver's own message (SQLAlchemy's wrapper
    adds the statement and a link), for a log line or a message to the user."""
    lines = [line for line in str(getattr(error, "orig", error)).strip().splitlines() if line.strip()]
    return lines[0][:300] if lines else type(error).__name__


class StoreError(Exception):
    """Base of every error the store raises on purpose."""

    code = "error"


class NotFound(StoreError):
    code = "not_found"


class Conflict(StoreError):
    code = "conflict"


class Invalid(StoreError):
    code = "unprocessable"


class NotAllowed(StoreError):
    """Well formed, but not something this server does (a system folder as a project)."""

    code = "forbidden"


class SchemaOutOfDate(StoreError):
    """The database schema is older (or newer) than this trainui; the message names the fix."""

    code = "schema_out_of_date"
