"""A topic query rewritten so its bare terms also match their inflected forms.

FTS5's unicode61 tokenizer matches whole tokens, and Korean and Russian inflect: the
particles of Korean attach to the noun (북한은, 러시아에) and Russian nouns decline (Россию,
в Пхеньяне), so `북한` or `Россия` alone misses most of what is written about them. A
prefix query does match them, with the store's own tokenizer, in Datasette too; so each
bare term is turned into the prefix of its stem, and the rewritten query is what the
matcher, the store and a Datasette search all run:

    >>> rewrite('(북한은 OR "north korea") AND Россия', "auto")
    '(북한* OR "north korea") AND росс*'

`stems`: "auto" rewrites terms in a non-Latin script (Cyrillic: the Snowball stem; Hangul:
the noun without a trailing particle; Chinese/Japanese: the term as a prefix), "all" Latin
script too (Snowball), "off" nothing. Phrases, prefixes the user wrote, AND/OR/NOT/NEAR,
column filters, `^` and `+` are kept as written.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

import snowballstemmer

STEMS_MODES = ("auto", "all", "off")

# FTS5 barewords: ASCII letters, digits, "_", \x1a and every non-ASCII character
# (sqlite3Fts5IsBareword); everything else is syntax, whitespace or a quoted string.
_TOKEN = re.compile(r'(?P<space>\s+)|(?P<string>"(?:[^"]|"")*"?)'
                    r"|(?P<word>[A-Za-z0-9_\x1a\x80-\U0010ffff]+)|(?P<punct>.)", re.S)
OPERATORS = frozenset({"AND", "OR", "NOT"})

# Korean particles (josa) that follow a noun, longest first so 에서는 goes before 는. A
# query term is a noun, maybe with a particle typed after it; the text's forms are all
# "noun + particles", which the noun's prefix matches. Only the query needs the rule, so a
# list covers it; a morphological analyser (kiwipiepy) would add its large model package
# (kiwipiepy-model) for what a suffix check does.
_PARTICLE_LIST = """
    은 는 이 가 을 를 의 에 도 만 와 과 로 으로 에서 에게 께 께서 한테 부터 까지 보다
    처럼 마저 조차 이나 나 이랑 랑 하고 에는 에서는 에도 에서도 과의 와의 으로는 로는
    에게는 이라는 라는 이며 며 에서의 에의 으로의 로의 만의 까지의 부터의
"""
PARTICLES = tuple(sorted(_PARTICLE_LIST.split(), key=len, reverse=True))
# Shortest prefixes made: a one-syllable Korean or two-letter prefix would match far too
# much (ЕС, the EU, as ес* would match если); such a term stays as written.
MIN_KOREAN_STEM = 2  # syllables
MIN_STEM = 3  # letters of a Snowball stem

# `all`: Latin-script terms are stemmed as English unless a letter only another language
# uses says otherwise (checked in this order: é is French unless ñ/á/í/ó/ú says Spanish).
LATIN_HINTS = (("german", "äöüß"), ("spanish", "ñáíóú"), ("portuguese", "ãõ"),
               ("french", "àâçèéêëîïôœùûÿ"))


def rewrite(query: str, stems: str = "auto") -> str:
    """The query as run: `query` with each bare term replaced by its stem's prefix."""
    if stems not in STEMS_MODES:
        raise ValueError(f"stems must be one of {', '.join(STEMS_MODES)}, not {stems!r}")
    if stems == "off":
        return query
    tokens = [(m.lastgroup or "punct", m.group()) for m in _TOKEN.finditer(query)]
    out, braces, depth, near = [], 0, 0, None  # near: the depth of the NEAR( group we are in
    for i, (kind, text) in enumerate(tokens):
        if kind == "punct":
            braces += {"{": 1, "}": -1}.get(text, 0)
            depth += {"(": 1, ")": -1}.get(text, 0)
            near = None if near is not None and depth < near else near
        elif kind == "word" and text == "NEAR" and _neighbour(tokens, i, 1) == "(":
            near = depth + 1
        elif kind == "word" and not braces and _bare(tokens, i):
            # a NEAR group and `^` take phrases only, not an (a OR b) group
            single = near is not None or _neighbour(tokens, i, -1) == "^"
            text = stem_term(text, stems, group=not single) or text
        out.append(text)
    return "".join(out)


def _bare(tokens: list[tuple[str, str]], i: int) -> bool:
    """Whether the word at `i` is a term of its own: not an operator, a column name, a
    prefix the user wrote, nor part of a `+` phrase."""
    word = tokens[i][1]
    after = _neighbour(tokens, i, 1)
    before = _neighbour(tokens, i, -1)
    if word in OPERATORS or after in (":", "+") or before == "+":
        return False
    return not (i + 1 < len(tokens) and tokens[i + 1][1] == "*")


def _neighbour(tokens: list[tuple[str, str]], i: int, step: int) -> str:
    """The nearest token text before (step -1) or after (step 1) `i`, spaces skipped."""
    i += step
    while 0 <= i < len(tokens) and tokens[i][0] == "space":
        i += step
    return tokens[i][1] if 0 <= i < len(tokens) else ""


def stem_term(term: str, stems: str = "auto", *, group: bool = True) -> str | None:
    """The FTS5 prefix query for one bare term, or None to keep it as written. `group`:
    the term may become an (a* OR b*) group (not inside NEAR, nor after `^`)."""
    if not term.isalnum() or term.isdigit():
        return None  # unicode61 would split it into several tokens; digits do not inflect
    script = script_of(term)
    if script == "hangul":
        stem = korean_stem(term)
        return stem + "*" if len(stem) >= MIN_KOREAN_STEM else None
    if script == "cyrillic":
        prefix = common_prefix(term.lower(), _stemmer("russian").stemWord(term.lower()))
        if len(prefix) < MIN_STEM:
            return None
        if "ё" not in prefix:
            return prefix + "*"
        # unicode61 keeps ё apart from е, and most texts print е for it: both spellings
        plain = prefix.replace("ё", "е") + "*"
        return f"({prefix}* OR {plain})" if group else plain
    if script == "cjk":
        # unicode61 keeps a run of Han/kana without spaces as one token: a prefix finds a
        # term that starts the run, where a phrase matches only the whole run.
        return term + "*"
    if script == "latin" and stems == "all":
        word = term.lower()
        prefix = common_prefix(word, _stemmer(latin_language(word)).stemWord(word))
        return prefix + "*" if len(prefix) >= MIN_STEM else None
    return None


def script_of(term: str) -> str | None:
    """"hangul", "cyrillic", "cjk", "latin", or None (another script, or several)."""
    scripts = set()
    for char in term:
        if not char.isalpha():
            continue
        name = unicodedata.name(char, "")
        if name.startswith("HANGUL"):
            scripts.add("hangul")
        elif name.startswith("CYRILLIC"):
            scripts.add("cyrillic")
        elif name.startswith(("CJK", "HIRAGANA", "KATAKANA")):
            scripts.add("cjk")
        elif name.startswith("LATIN"):
            scripts.add("latin")
        else:
            return None
    return scripts.pop() if len(scripts) == 1 else None


def korean_stem(term: str) -> str:
    """`term` without the particle typed after it (북한은 -> 북한), if a noun is left."""
    for particle in PARTICLES:
        if term.endswith(particle) and len(term) - len(particle) >= MIN_KOREAN_STEM:
            return term[: -len(particle)]
    return term


def latin_language(word: str) -> str:
    for language, letters in LATIN_HINTS:
        if any(c in letters for c in word):
            return language
    return "english"


def common_prefix(word: str, stem: str) -> str:
    """The part of `word` its stem keeps. Snowball may change letters (happy -> happi,
    ё -> е, ß -> ss, Verträge -> vertrag); the prefix is taken from the word itself, so
    unicode61 reads it as it reads the text (it folds ä to a, but not ё to е nor й to и)."""
    if "ß" in word:
        stem = stem.replace("ss", "ß")
    n = 0
    while n < min(len(word), len(stem)) and _fold(word[n]) == _fold(stem[n]):
        n += 1
    return word[:n] or word


def _fold(char: str) -> str:
    if char == "ё":
        return "е"
    if unicodedata.name(char, "").startswith("LATIN"):
        return unicodedata.normalize("NFD", char)[0]
    return char


@cache
def _stemmer(language: str) -> snowballstemmer.stemmer:
    return snowballstemmer.stemmer(language)
