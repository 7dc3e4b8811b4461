"""The domain's errors; the web layer maps them to HTTP status codes in one place."""


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
