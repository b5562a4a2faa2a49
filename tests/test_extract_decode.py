"""Pages in legacy encodings, declared right, wrong or not at all, come out as correct text."""

from __future__ import annotations

import codecs

import pytest

from extract import extract_page
from extract.decode import decode_body
from fixturesite.encodings import EncodingPage, load_encoding_pages
from newswatch.fixtures import FixtureSites

BASES = {"m31": "http://127.0.0.1:8000", "westjournal": "http://127.0.0.1:8001",
         "analysis": "http://127.0.0.1:8002"}
PAGES = {page.path: page for page in load_encoding_pages()}


def served(page: EncodingPage) -> tuple[bytes, str | None]:
    response = FixtureSites().render("analysis", page.path, 0, BASES)
    assert response.status == 200
    return response.body, response.headers.get("Content-Type")


def assert_readable(body: bytes, content_type: str | None, page: EncodingPage) -> None:
    result = extract_page(body, BASES["analysis"] + page.path, content_type)
    assert result.article is not None, result.reason
    assert result.article.title == page.title
    for paragraph in page.paragraphs:
        assert paragraph in result.article.text
    assert result.article.language == page.language


@pytest.mark.parametrize("path", sorted(PAGES))
def test_fixture_encoding_page_as_served(path: str) -> None:
    """Declared in Content-Type and <meta charset>, or (-undeclared) nowhere at all."""
    page = PAGES[path]
    body, content_type = served(page)
    assert_readable(body, content_type, page)


@pytest.mark.parametrize("path", sorted(p for p in PAGES if "undeclared" not in p))
def test_legacy_bytes_served_as_utf8(path: str) -> None:
    """The header claims UTF-8, the bytes are not: the declaration fails, detection wins."""
    page = PAGES[path]
    body, _ = served(page)
    assert_readable(body, "text/html; charset=utf-8", page)


@pytest.mark.parametrize("path", sorted(p for p in PAGES if "undeclared" in p))
def test_legacy_bytes_declared_as_a_single_byte_charset(path: str) -> None:
    """windows-1252 decodes any bytes without error; mojibake is caught all the same."""
    page = PAGES[path]
    body, _ = served(page)
    assert_readable(body, "text/html; charset=windows-1252", page)


@pytest.mark.parametrize("path", sorted(p for p in PAGES if "undeclared" not in p))
def test_utf8_bytes_declared_as_the_legacy_charset(path: str) -> None:
    """The page was re-encoded to UTF-8 but header and meta still name the old charset."""
    page = PAGES[path]
    body, content_type = served(page)
    utf8 = body.decode(page.encoding).encode("utf-8")
    assert_readable(utf8, content_type, page)


def test_header_wins_over_meta_when_both_decode() -> None:
    text = "<html><head><meta charset='koi8-r'></head><body><p>Привет, мир</p></body></html>"
    decoded = decode_body(text.encode("cp1251"), "text/html; charset=windows-1251")
    assert "Привет, мир" in decoded.text and decoded.how == "declared"


def test_meta_charset_alone() -> None:
    text = ("<html><head><meta http-equiv='Content-Type' content='text/html; charset=euc-kr'>"
            "</head><body><p>북한이 러시아에 병력을 파견했다고 밝혔다.</p></body></html>")
    decoded = decode_body(text.encode("euc-kr"), "text/html")
    assert "북한이 러시아에 병력을" in decoded.text and decoded.how == "declared"


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16"])
def test_byte_order_mark_wins_over_a_wrong_header(encoding: str) -> None:
    text = "<html><body><p>北朝鮮がロシアに部隊を派遣した。</p></body></html>"
    decoded = decode_body(text.encode(encoding), "text/html; charset=iso-8859-1")
    assert decoded.how == "bom" and "北朝鮮がロシアに部隊を派遣した。" in decoded.text


def test_unknown_declared_charset_falls_back_to_detection() -> None:
    text = "<html><body><p>Северная Корея направила войска в Россию, сообщили в Сеуле.</p>"
    decoded = decode_body(text.encode("cp1251"), "text/html; charset=x-no-such-charset")
    assert "Северная Корея направила войска" in decoded.text
    assert codecs.lookup(decoded.encoding).name == "cp1251"


def test_text_input_is_taken_as_is() -> None:
    assert decode_body("<p>déjà vu</p>").text == "<p>déjà vu</p>"
