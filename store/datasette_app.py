"""Datasette over the store, with the project's metadata and canned queries.

    ds = make_datasette("data/newswatch.db")
    await ds.client.get("/newswatch/articles.json?_search=pyongyang")

The database is opened in Datasette's default mode, where every query runs on a
read-only (mode=ro) connection: a crawl or the daemon can keep writing while
the store is browsed, and WAL keeps readers from ever seeing half a write.
Immutable mode would skip the WAL and miss (or misread) recent writes, so it is
not used.  No canned query writes.
"""

from __future__ import annotations

import copy
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from datasette.app import Datasette

METADATA_FILE = Path(__file__).with_name("metadata.yml")
TEMPLATE_NAME = "newswatch"  # the database key in metadata.yml
SETTINGS = {"default_page_size": 50, "sql_time_limit_ms": 3000}


@lru_cache(maxsize=1)
def _template() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(METADATA_FILE.read_text(encoding="utf-8"))
    return data


def database_name(db_path: str | os.PathLike[str]) -> str:
    """The name Datasette serves a database file under: its stem."""
    return Path(db_path).stem


def metadata(db_name: str = TEMPLATE_NAME) -> dict[str, Any]:
    """The metadata dict, with the store's entry filed under `db_name`."""
    data = copy.deepcopy(_template())
    data["databases"] = {db_name: data["databases"][TEMPLATE_NAME]}
    return data


def make_datasette(db_path: str | os.PathLike[str]) -> Datasette:
    return Datasette([str(db_path)], metadata=metadata(database_name(db_path)),
                     settings=SETTINGS)
