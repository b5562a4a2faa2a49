"""WestJournal Daily page chrome: a custom (non-WordPress) CMS of a republishing news site."""

# ruff: noqa: E501  (HTML templates read better with their markup on one line)

from __future__ import annotations

from fixturesite.context import Chrome, SiteContext, esc

NAME = "WestJournal Daily"
DONATE_TITLE = "Support WestJournal Daily"
DONATE_TEXT = ("Your gift keeps independent journalism free for millions of readers. "
               "Donate today and help us reach our goal of 5,000 monthly supporters.")
NEWSLETTER_TITLE = "WestJournal Daily NEWS Newsletter"
NEWSLETTER_TEXT = "Get the stories the establishment media won’t tell you, every morning."
VALIDATION = "This field is for validation purposes and should be left unchanged."
COMMENTS_NOTE = "Please keep comments civil. Comments are moderated and may take a while to appear."
COPYRIGHT = "Copyright © 2025 WestJournal Daily. All rights reserved."
SECTIONS = ["News", "Politics", "World", "Faith", "Opinion", "Videos"]
# The "Related Articles" block shows these (order rotates); they link to short URLs.
RELATED = [
    ("Pastor Who Rebuilt Flooded Church Says Town Found Its Faith Again", 4411),
    ("Farmers Brace for Another Dry Summer as Reservoirs Run Low", 4398),
    ("Veterans Group Raises $2 Million for Service Dogs in a Single Weekend", 4377),
    ("High School Robotics Team Heads to World Championship on Donated Parts", 4352),
]
STANDARDS = ("We are committed to truth and accuracy in all of our journalism. "
             "Read our editorial standards.")
ADS = ["Doctors Stunned: This Simple Morning Habit Melts Away Stubborn Fat",
       "Retirees Are Flocking to This Little-Known Tax Break",
       "The One Kitchen Gadget Every Home Cook Is Buying This Year"]


def head(ctx: SiteContext, title: str, extra: str = "") -> str:
    return f"""<!doctype html>
<html lang="en">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<title>{esc(title)} | {NAME}</title>
<meta name="viewport" content="width=device-width,initial-scale=1">
<link rel="stylesheet" href="{ctx.url("/static/css/site.min.css?v=8f2a")}">
<link rel="alternate" type="application/rss+xml" title="{NAME}" href="{ctx.url("/feed/")}">
{extra}
</head>"""


def topbar(ctx: SiteContext, chrome: Chrome) -> str:
    nav = "".join(f'<a class="wj-nav__link" href="{ctx.url("/section/" + s.lower() + "/")}">{s}</a>'
                  for s in SECTIONS)
    ticker = chrome.pick([v.title for v in ctx.articles] or [NAME])
    return f"""<body class="wj wj-article">
<div class="wj-breaking"><span class="wj-breaking__label">Breaking:</span> <a href="{ctx.url("/latest/")}">{esc(ticker)}</a></div>
<div class="wj-masthead"><a class="wj-logo" href="{ctx.url("/")}">{NAME}</a>
<nav class="wj-nav">{nav}<a class="wj-nav__link" href="{ctx.url("/latest/")}">Latest</a></nav>
<a class="wj-donate-btn" href="{ctx.url("/donate/")}">Donate</a></div>"""


def share_bar(chrome: Chrome) -> str:
    return (f'<div class="wj-share"><span class="wj-share__count">{chrome.count(2, 95) / 10:.1f}K '
            'Shares</span><a href="#">Share on Facebook</a><a href="#">Share on X</a>'
            '<a href="#">Email</a></div>')


def related(ctx: SiteContext, chrome: Chrome) -> str:
    items = "".join(f'<li class="wj-related__item"><a href="{ctx.url(f"/p/{n}")}">{esc(t)}</a></li>'
                    for t, n in chrome.shuffled(RELATED))
    return f'<section class="wj-related"><h3 class="wj-related__title">Related Articles</h3><ul>{items}</ul></section>'


def inline_related(ctx: SiteContext, chrome: Chrome) -> str:
    """The "Related:" line the CMS drops between body paragraphs (rotates with the chrome)."""
    title, n = chrome.pick(RELATED)
    return (f'<p class="wj-inline-related"><strong>Related:</strong> '
            f'<a href="{ctx.url(f"/p/{n}")}">{esc(title)}</a></p>')


def standards() -> str:
    return f'<p class="wj-standards"><em>{STANDARDS}</em></p>'


def donate(chrome: Chrome) -> str:
    return f"""<aside class="wj-donate"><h3>{DONATE_TITLE}</h3><p>{DONATE_TEXT}</p>
<div class="wj-donate__meter"><span style="width:{chrome.count(20, 95)}%"></span></div>
<a class="wj-donate__button" href="/donate/">Give Now</a></aside>"""


def newsletter(chrome: Chrome) -> str:
    return f"""<aside class="wj-newsletter gform_wrapper"><h3>{NEWSLETTER_TITLE}</h3><p>{NEWSLETTER_TEXT}</p>
<form method="post" id="gform_7"><input type="email" name="input_1" placeholder="Email">
<div class="gform_validation_container"><label for="input_7_3">Name</label><input id="input_7_3" name="input_3">
<div class="gfield_description">{VALIDATION}</div></div>
<input type="hidden" name="gform_unique_id" value="{chrome.nonce(13)}">
<input type="submit" value="Sign Up"></form></aside>"""


def sponsored(ctx: SiteContext, chrome: Chrome) -> str:
    ads = "".join(f'<li><a rel="sponsored nofollow" href="https://ads.invalid/c/{chrome.nonce(8)}">{esc(a)}</a></li>'
                  for a in chrome.shuffled(ADS)[:2])
    return f'<aside class="wj-sponsored"><h4>Sponsored Content</h4><ul>{ads}</ul></aside>'


def comments(chrome: Chrome) -> str:
    return (f'<section class="wj-comments"><h3>Conversation</h3><p class="wj-comments__count">'
            f'{chrome.count(0, 400)} Comments</p><p>{COMMENTS_NOTE}</p></section>')


def footer(ctx: SiteContext) -> str:
    links = "".join(f'<a href="{ctx.url(p)}">{t}</a>' for t, p in
                    [("About", "/about/"), ("Contact", "/contact/"), ("Privacy", "/privacy/"),
                     ("RSS", "/feed/"), ("Sitemap", "/sitemap.xml")])
    return f'<footer class="wj-footer"><nav>{links}</nav><p>{COPYRIGHT}</p></footer>\n</body></html>\n'
