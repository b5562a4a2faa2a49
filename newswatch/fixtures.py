"""Fixture news sites: content, timeline states and expectations (see fixtures/README.md).

    from newswatch.fixtures import FixtureSites, FIXTURES_DIR, load_expectations
    sites = FixtureSites()
    resp = sites.render("m31", "/feed/", 0, {"m31": "http://127.0.0.1:8000", ...})
"""

from fixturesite.catalog import FIXTURES_DIR, FixtureResponse, FixtureSites
from fixturesite.encodings import EncodingPage, load_encoding_pages
from fixturesite.expectations import Expectation, load_expectations

__all__ = ["FIXTURES_DIR", "EncodingPage", "Expectation", "FixtureResponse", "FixtureSites",
           "load_encoding_pages", "load_expectations"]
