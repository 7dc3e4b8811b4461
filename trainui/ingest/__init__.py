"""Ingestion: result directories on disk -> the store, incrementally."""
from .service import IngestionService
from .sync import sync_result

__all__ = ["IngestionService", "sync_result"]
