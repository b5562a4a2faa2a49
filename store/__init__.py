"""The SQLite store: schema and migrations, the ingest decision, events, Datasette metadata.

    from store import Store, RawPage, IngestResult, PageState
    store = Store.open("data/newswatch.db", events_log="data/events.jsonl", topics={...})
"""

from store.db import Store
from store.model import IngestResult, PageState, RawPage

__all__ = ["IngestResult", "PageState", "RawPage", "Store"]
