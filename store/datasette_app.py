"""Datasette over the store, with the project's metadata, canned queries and plugin.

    ds = make_datasette("data/newswatch.db")
    await ds.client.get("/newswatch/articles.json?_search=pyongyang")

The store is always served as the database `newswatch`, whatever its file is
called, so the addresses the docs give (/newswatch/articles/1,
/newswatch/topic_feed.atom?topic=NAME) hold for every config, and the story
view's per-table template (row-newswatch-articles.html) applies.

The database is opened in Datasette's default mode, where every query runs on a
read-only (mode=ro) connection: a crawl or the daemon can keep writing while
the store is browsed, and WAL keeps readers from ever seeing half a write.
Immutable mode would skip the WAL and miss (or misread) recent writes, so it is
not used.  No canned query writes.

The plugin (store/datasette_plugin: story view, readable diffs and event
details, the Atom renderer) is registered with Datasette's plugin manager by
make_datasette(), before Datasette builds its template loader.
"""

from __future__ import annotations

import copy
import os
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from datasette.app import Datasette

METADATA_FILE = Path(__file__).with_name("metadata.yml")
DB_NAME = "newswatch"  # the database key in metadata.yml, and the name it is served under
TEMPLATE_NAME = DB_NAME
SETTINGS = {"default_page_size": 50, "sql_time_limit_ms": 3000}


@lru_cache(maxsize=1)
def _template() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(METADATA_FILE.read_text(encoding="utf-8"))
    return data


def database_name(db_path: str | os.PathLike[str] | None = None) -> str:
    """The name Datasette serves the store under: always `newswatch`."""
    return DB_NAME


def metadata(db_name: str = TEMPLATE_NAME) -> dict[str, Any]:
    """The metadata dict, with the store's entry filed under `db_name`."""
    data = copy.deepcopy(_template())
    data["databases"] = {db_name: data["databases"][TEMPLATE_NAME]}
    return data


def canned_query(name: str) -> dict[str, Any]:
    """One canned query of metadata.yml (title, description, sql)."""
    query: dict[str, Any] = copy.deepcopy(_template()["databases"][TEMPLATE_NAME]["queries"][name])
    return query


def make_datasette(db_path: str | os.PathLike[str]) -> Datasette:
    from datasette.app import Datasette
    from datasette.database import Database

    from store import datasette_plugin

    datasette_plugin.register()
    ds = Datasette([], metadata=metadata(DB_NAME), settings=SETTINGS)
    ds.remove_database("_memory")  # added because no file was passed to the constructor
    ds.add_database(Database(ds, path=str(db_path), is_mutable=True), name=DB_NAME)
    return ds
