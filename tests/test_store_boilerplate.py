"""Boilerplate learned across a site's stored articles: dropped, silently, for good."""

from pathlib import Path

from newswatch.fixtures import FixtureSites
from store import RawPage, Store

BASES = {"m31": "http://127.0.0.1:1", "westjournal": "http://127.0.0.1:2",
         "analysis": "http://127.0.0.1:3",
         "koreanews": "http://127.0.0.1:4", "rusnews": "http://127.0.0.1:5"}
LEAK = "editorial standards"  # a standard line inside every westjournal article body


def ingest_site(db: Path, variant: int) -> Store:
    """One run over westjournal's state-0 articles, their chrome churned by `variant`."""
    sites = FixtureSites()
    store = Store.open(db, events_log=db.parent / "events.jsonl")
    paths = [path for site, path in sites.article_paths(0) if site == "westjournal"]
    for path in paths:
        resp = sites.render("westjournal", path, 0, BASES, variant=variant)
        url = BASES["westjournal"] + path
        headers = {k.lower(): v for k, v in resp.headers.items()}
        page = RawPage(url, url, resp.status, headers, resp.body, "westjournal")
        store.ingest(page, store.extractor(page.body, url, headers.get("content-type")))
    return store


def texts(store: Store) -> list[str]:
    return [row[0] for row in store.conn.execute("SELECT text FROM articles")]


def test_learned_boilerplate_is_dropped_silently_and_stays_dropped(tmp_path: Path) -> None:
    db = tmp_path / "nw.db"
    with ingest_site(db, variant=1) as store:  # nothing learned yet: the line is stored
        assert sum(LEAK in text for text in texts(store)) >= 3
        first_events = store.conn.execute("SELECT count(*) FROM events").fetchone()[0]

    with ingest_site(db, variant=2) as store:  # learned from the stored articles
        assert store.boilerplate("127.0.0.1:2")
        assert not any(LEAK in text for text in texts(store))
        kinds = [r[0] for r in store.conn.execute("SELECT kind FROM events")]
        assert len(kinds) == first_events and "updated" not in kinds
        later = store.conn.execute("SELECT reextracted FROM versions WHERE version > 1"
                                   ).fetchall()
        assert later and all(r[0] == 1 for r in later)
        versions = store.conn.execute("SELECT count(*) FROM versions").fetchone()[0]

    with ingest_site(db, variant=3) as store:  # stored texts no longer carry the line
        assert not any(LEAK in text for text in texts(store))
        assert store.conn.execute("SELECT count(*) FROM versions").fetchone()[0] == versions
