"""newswatch's Datasette plugin: the story view, readable cells, the Atom renderer.

- The story view: an article's row page (template row-newswatch-articles.html)
  shows its versions with each diff as added/removed paragraphs, its copies on
  other sites with their similarity, its events, all linked to their own rows.
  Its data comes from the canned queries article_history, article_copies and
  article_events (extra_template_vars), so each section is also a query a user
  can open, export or call as JSON.
- render_cell: a `diff` as green/red paragraphs, an event's or version's JSON
  `detail` as text, `topics` as links to the articles on each topic, `source`
  as a link to the source's health row, an `article_id` as a
  link to the story (row pages and canned queries: table pages label it already).
- register_output_renderer: `.atom` for the topic_feed canned query
  (store.feed renders it, the same function `newswatch feed` uses).

Only the database served as `newswatch` (store.datasette_app.DB_NAME) is
touched; other databases in the same Datasette are left alone.
"""

from __future__ import annotations

import sys
from typing import Any

from datasette import hookimpl
from datasette.utils import tilde_encode
from markupsafe import Markup

from store import feed
from store.datasette_app import DB_NAME
from store.datasette_plugin import render

PLUGIN_NAME = __name__  # Datasette serves the static/ folder under this name
SOURCE_TABLES = (None, "articles", "article_urls", "events", "runs", "pages", "versions")


def register() -> None:
    """Register this module with Datasette's plugin manager (once per process)."""
    from datasette.plugins import pm

    module = sys.modules[__name__]
    if not pm.is_registered(module):
        pm.register(module, name="newswatch")


def row_url(datasette: Any, table: str, *pks: object) -> str:
    path = ",".join(tilde_encode(str(pk)) for pk in pks)
    return str(datasette.urls.row(DB_NAME, table, path))


@hookimpl
def extra_css_urls(database: str | None, datasette: Any) -> list[str]:
    if database not in (None, DB_NAME):
        return []
    return [str(datasette.urls.static_plugins(PLUGIN_NAME, "newswatch.css"))]


@hookimpl
def prepare_jinja2_environment(env: Any) -> None:
    env.filters["nw_diff"] = render.render_diff
    env.filters["nw_detail"] = render.render_detail
    env.filters["nw_link"] = render.link
    env.filters["nw_percent"] = render.percent


@hookimpl
def render_cell(row: Any, value: Any, column: str, table: str | None, database: str,
                datasette: Any) -> Markup | None:
    if database != DB_NAME or value is None:
        return None
    if column == "diff" and isinstance(value, str):
        return render.render_diff(value)
    if column == "detail" and isinstance(value, str):
        rendered = render.render_detail(value)
        return None if rendered.startswith('<span class="nw-json">') else rendered
    if column == "topics" and table in (None, "articles", "events"):
        return render.render_topics(value, lambda name: _topic_articles(datasette, name))
    if column == "source" and table in SOURCE_TABLES and isinstance(value, str):
        return Markup('<a href="{}">{}</a>').format(row_url(datasette, "sources", value), value)
    if column == "article_id" and isinstance(value, int) and not isinstance(value, bool):
        # canned queries and row pages; table pages link it with its label themselves
        return Markup('<a href="{}">{}</a>').format(row_url(datasette, "articles", value), value)
    if table is None and column == "title" and isinstance(value, str) \
            and _article_id(row) is not None:
        return Markup('<a href="{}">{}</a>').format(
            row_url(datasette, "articles", _article_id(row)), value)
    return None


def _article_id(row: Any) -> int | None:
    try:
        value = row["article_id"]
    except (KeyError, IndexError, TypeError):
        return None
    return value if isinstance(value, int) else None


def _topic_articles(datasette: Any, topic: str) -> str:
    base = str(datasette.urls.table(DB_NAME, "articles"))
    return f"{base}?{_query({'topics__arraycontains': topic})}"


def _query(params: dict[str, str]) -> str:
    from urllib.parse import urlencode

    return urlencode(params)


@hookimpl
def extra_template_vars(template: str, database: str | None, table: str | None,
                        view_name: str, request: Any, datasette: Any) -> Any:
    if database != DB_NAME or view_name != "row" or table != "articles" or request is None:
        return {}

    async def story() -> dict[str, Any]:
        try:
            article_id = int(request.url_vars["pks"])
        except (KeyError, ValueError):
            return {}
        return {"story": await _story(datasette, article_id)}

    return story


async def _story(datasette: Any, article_id: int) -> dict[str, Any]:
    """What the story view shows: the article, versions (newest first), URLs, events."""
    db = datasette.get_database(DB_NAME)
    queries = datasette.metadata("queries", database=DB_NAME) or {}

    async def canned(name: str) -> list[dict[str, Any]]:
        result = await db.execute(queries[name]["sql"], {"id": article_id})
        return [dict(row) for row in result.rows]

    article = (await db.execute("select * from articles where id = :id",
                                {"id": article_id})).first()
    urls = await canned("article_copies")
    events = await canned("article_events")
    for event in events:
        event["row_url"] = row_url(datasette, "events", event["id"])
    versions = list(reversed(await canned("article_history")))
    for version in versions:
        version["row_url"] = row_url(datasette, "versions", article_id, version["version"])
    topics = render.render_topics(article["topics"] if article else None,
                                  lambda name: _topic_articles(datasette, name))
    return {
        "article": dict(article) if article else {},
        "versions": versions,
        "copies": [u for u in urls if u["relation"] == "copy"],
        "aliases": [u for u in urls if u["relation"] != "copy"],
        "events": events,
        "topics": topics,
        "feeds": [(name, f"{datasette.urls.database(DB_NAME)}/{feed.QUERY}.atom?"
                   + _query({"topic": name})) for name in _topic_names(article)],
        "source_url": row_url(datasette, "sources", article["source"])
        if article and article["source"] else None,
        "query_urls": {name: f"{datasette.urls.database(DB_NAME)}/{name}?"
                       + _query({"id": str(article_id)})
                       for name in ("article_history", "article_copies", "article_events")},
    }


def _topic_names(article: Any) -> list[str]:
    if article is None:
        return []
    names = render._json_list(article["topics"])
    return [str(name) for name in names or []]


@hookimpl
def register_output_renderer(datasette: Any) -> dict[str, Any]:
    return {"extension": "atom", "render": _render_atom, "can_render": _can_render_atom}


def _can_render_atom(query_name: str | None, database: str | None) -> bool:
    return database == DB_NAME and query_name == feed.QUERY


def _render_atom(datasette: Any, request: Any, rows: list[Any], database: str,
                 query_name: str | None) -> dict[str, Any]:
    # a dict, not a Response: Datasette keeps a dict's status (a Response's is overridden)
    if not _can_render_atom(query_name, database):
        return _text(f"Atom is offered for the {feed.QUERY} query only, e.g. "
                     f"/{DB_NAME}/{feed.QUERY}.atom?topic=NAME", 404)
    topic = request.args.get("topic")
    if not topic:
        return _text(f"Name a topic: /{DB_NAME}/{feed.QUERY}.atom?topic=NAME", 400)

    def story_url(article_id: int) -> str:
        return str(datasette.absolute_url(request, row_url(datasette, "articles", article_id)))

    body = feed.render_atom([dict(row) for row in rows], topic, self_url=str(request.url),
                            story_url=story_url)
    return {"body": body, "status_code": 200, "content_type": feed.CONTENT_TYPE}


def _text(message: str, status: int) -> dict[str, Any]:
    return {"body": message + "\n", "status_code": status,
            "content_type": "text/plain; charset=utf-8"}
