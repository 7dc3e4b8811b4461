"""The metric series of results: stored as packed blocks with summaries, so that appending a point
costs O(1) and a chart of any window is drawn without decoding the whole series.

One way in for writing (``append_entries``, ``delete_series``) and one for reading
(``read_series``); blocks, summaries, windows, downsampling and the cache of decoded series are
this package's own. Both entry points take the caller's session: the store's public calls own it."""
from .cache import SeriesCache
from .read import MAX_KEYS, read_series
from .write import Appended, append_entries, delete_series

__all__ = ["Appended", "MAX_KEYS", "SeriesCache", "append_entries", "delete_series", "read_series"]
