from pathlib import Path

import pytest

from newswatch.config import load_config
from newswatch.exceptions import ConfigError

GOOD = """
db = "data/nw.db"
events_log = "data/events.jsonl"

[defaults]
every = "30m"

[topics.nk-russia]
query = '("north korea" OR pyongyang) AND (russia OR moscow)'

[sources.m31]
start = ["http://127.0.0.1:8000/category/geopolitics/"]
follow = ['/\\d{4}/\\d{2}/[a-z0-9-]+/?$']
every = "1h"

[sources.wj]
feed = ["http://127.0.0.1:8001/feed/"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "newswatch.toml"
    path.write_text(text)
    return path


def test_good_config_resolves_paths_and_defaults(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, GOOD))
    assert cfg.db == tmp_path / "data/nw.db"
    assert cfg.sources["m31"].every_seconds == 3600
    assert cfg.sources["wj"].every_seconds == 1800
    assert cfg.sources["wj"].feed == ("http://127.0.0.1:8001/feed/",)
    assert cfg.topic_queries() == {"nk-russia": cfg.topics[0].query}


def test_stems_rewrite_the_query_as_run(tmp_path: Path) -> None:
    text = GOOD.replace("(russia OR moscow)", "(russia OR Россия OR 러시아에)")
    auto = '("north korea" OR pyongyang) AND (russia OR росс* OR 러시아*)'
    for stems, run in [
            ("", auto), ('stems = "auto"', auto),
            ('stems = "all"', '("north korea" OR pyongyang*) AND (russia* OR росс* OR 러시아*)'),
            ('stems = "off"', '("north korea" OR pyongyang) AND (russia OR Россия OR 러시아에)')]:
        with_stems = text.replace("\n[sources.m31]", f"{stems}\n\n[sources.m31]")
        cfg = load_config(write(tmp_path, with_stems))
        (topic,) = cfg.topics
        assert topic.query == '("north korea" OR pyongyang) AND (russia OR Россия OR 러시아에)'
        assert (topic.stems, topic.as_run) == (stems.split('"')[1] if stems else "auto", run)
        assert cfg.topic_queries() == {"nk-russia": run}


def test_env_var_lookup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSWATCH_CONFIG", str(write(tmp_path, GOOD)))
    assert set(load_config().sources) == {"m31", "wj"}


@pytest.mark.parametrize(
    ("snippet", "words"),
    [
        ('[sources.x]\nfeed = ["http://a/"]\nfedd = 1\n', ["sources.x", "fedd", "unknown key"]),
        ('[sources.x]\nstart = ["http://a/"]\nfollow = ["(["]\n', ["sources.x", "follow", "regex"]),
        ('[sources.x]\nfeed = ["http://a/"]\nevery = "5 weeks"\n', ["sources.x", "every"]),
        ('[sources.x]\nevery = "5m"\n', ["sources.x", "feed, sitemap, start, urls"]),
        ('[topics.t]\nquery = "north AND"\n', ["topics.t", "query", "FTS5"]),
        ('[topics.t]\nquery = "북한 AND (러시아"\n', ["topics.t", "query", "FTS5"]),
        ('[topics.t]\nquery = "russia"\nstems = "yes"\n', ["topics.t", "stems", "'auto'"]),
        ('[topics.t]\nquery = "russia"\nstems = true\n', ["topics.t", "stems", "'off'"]),
        ('[sources.x]\nfeed = ["ftp://a/"]\n', ["sources.x", "feed", "http"]),
        ("bogus = 1\n", ["bogus", "unknown key"]),
        ("[sources.x\n", ["not valid TOML"]),
        ('[sources.x]\nfeed = ["http://a/"]\nrevisit = "1h"\n', ["sources.x", "revisit", "list"]),
        ('[sources.x]\nfeed = ["http://a/"]\nrevisit = ["1h", "soon"]\n',
         ["sources.x", "revisit", "bad duration"]),
        ("[daemon]\nruns_in_flight = 0\n", ["[daemon]", "runs_in_flight", ">= 1"]),
        ('[daemon]\nrun_timeout = "forever"\n', ["[daemon]", "run_timeout"]),
        ("[daemon]\nworkers = 3\n", ["[daemon]", "workers", "unknown key"]),
    ],
)
def test_bad_config_names_file_source_and_key(tmp_path: Path, snippet: str,
                                              words: list[str]) -> None:
    path = write(tmp_path, snippet)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert str(path) in message
    for word in words:
        assert word in message
    assert "\n" not in message


def test_revisit_and_daemon_keys(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, """
[defaults]
revisit = ["3h", "1h"]
[daemon]
runs_in_flight = 8
run_timeout = "2m"
[sources.a]
feed = ["http://a/"]
[sources.b]
feed = ["http://b/"]
revisit = []
"""))
    assert config.sources["a"].revisit == (3600.0, 10800.0)  # sorted, in seconds
    assert config.sources["b"].revisit == ()  # only on a sign from the feed
    assert (config.daemon.runs_in_flight, config.daemon.run_timeout) == (8, 120.0)
    assert config.daemon.recycle_after_runs == 5000  # the defaults for the rest
    default = load_config(write(tmp_path, '[sources.c]\nfeed = ["http://c/"]\n'))
    assert default.sources["c"].revisit == (3600.0, 10800.0, 43200.0, 86400.0, 259200.0,
                                            604800.0)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.toml")
