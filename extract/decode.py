"""Raw page bytes -> Unicode text, robust to wrong or missing charset declarations.

Order of evidence, strongest first:

1. a byte-order mark;
2. valid UTF-8: a body with non-ASCII bytes that decodes as UTF-8 is UTF-8 whatever the
   page claims (legacy-encoded text of any length is practically never valid UTF-8), which
   fixes the common "UTF-8 served as windows-1252 / cp1251" mistake;
3. the declared charsets, Content-Type header first, then `<meta charset>`, each kept only
   if it decodes strictly *and* charset-normalizer finds the result plausible (a single-byte
   codec decodes any bytes, so "decodes" alone proves nothing: cp1251 read as cp1252 is
   clean mojibake);
4. detection by charset-normalizer;
5. the first declared charset (or cp1252) with replacement characters, so nothing raises.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

import charset_normalizer
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, read_bom

FALLBACK_ENCODING = "cp1252"


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str  # Python codec name, or "unicode" when the input was already text
    how: str  # "bom", "utf-8", "declared", "detected", "fallback", "unicode"


def declared_encodings(body: bytes, content_type: str | None) -> list[str]:
    """Charsets the page claims, header first, normalised to Python codec names."""
    found = [http_content_type_encoding(content_type), html_body_declared_encoding(body)]
    names: list[str] = []
    for name in found:
        if name and name not in names:
            names.append(codecs.lookup(name).name)
    return names


def _plausible(body: bytes, encoding: str) -> bool:
    # charset-normalizer returns no match when the decoded text is too chaotic to be
    # that charset (mojibake), one match when it reads as language.
    matches = charset_normalizer.from_bytes(body, cp_isolation=[encoding])
    return matches.best() is not None


def _strict(body: bytes, encoding: str) -> str | None:
    try:
        return body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def decode_body(body: bytes | str, content_type: str | None = None) -> Decoded:
    """Decode a page body; never raises."""
    if isinstance(body, str):
        return Decoded(body, "unicode", "unicode")
    bom_encoding, bom = read_bom(body)
    if bom_encoding and bom is not None:
        return Decoded(body[len(bom):].decode(bom_encoding, "replace"), bom_encoding, "bom")
    if body.isascii():
        return Decoded(body.decode("ascii"), "utf-8", "utf-8")
    text = _strict(body, "utf-8")
    if text is not None:
        return Decoded(text, "utf-8", "utf-8")
    declared = [name for name in declared_encodings(body, content_type) if name != "utf-8"]
    for encoding in declared:
        text = _strict(body, encoding)
        if text is not None and _plausible(body, encoding):
            return Decoded(text, encoding, "declared")
    best = charset_normalizer.from_bytes(body).best()
    if best is not None:
        return Decoded(str(best), codecs.lookup(best.encoding).name, "detected")
    encoding = declared[0] if declared else FALLBACK_ENCODING
    return Decoded(body.decode(encoding, "replace"), encoding, "fallback")

