"""M31GlobalNews page chrome: a WordPress magazine theme's header, sidebar, footer, boxes.

Chrome text that must never reach an article's clean text is exported as constants so
expectation files and tests name the same strings the pages show.
"""

# ruff: noqa: E501  (HTML templates read better with their markup on one line)

from __future__ import annotations

from fixturesite.context import Chrome, SiteContext, esc

NAME = "M31GlobalNews"
NEWSLETTER_PROMPT = "Be keep up! Get the latest breaking news delivered straight to your inbox."
NEWSLETTER_TERMS = ("By signing up, you agree to our Terms of Use and acknowledge the data "
                    "practices in our Privacy Policy. You may unsubscribe at any time.")
SIDEBAR_PROMPT = "Subscribe to our newsletter to get our newest articles instantly!"
VALIDATION = "This field is for validation purposes and should be left unchanged."
COMMENT_NOTE = "Your email address will not be published. Required fields are marked *"
RATING_PROMPT = "Please select a rating!"
REACTIONS_PROMPT = "What do you think?"
REACTIONS = ["Love", "Happy", "Sad", "Surprise", "Cry", "Angry", "Joy"]
ADDRESS = "245 Main Street, Cambridge, Massachusetts, 02142, USA"
COPYRIGHT = "© 2023 – 2025 M31GlobalNews | All Rights Reserved. Design & Developed by NexCorp"
JOIN_PROMPT = "Subscribe to our newsletter and never miss our latest updates, news etc.."
FOOTER_PROMPT = ("Sign up for free newsletters and get more M31GlobalNews delivered to "
                 "your inbox")
ADS = ["Summer Sale Ad Banner - NexCorp Inc.", "Cloud Hosting Deals - NexCorp Inc.",
       "Telescope Week: 30% Off Refractors - NexCorp Inc."]
# Titles shown in the in-body "More Read" box (the seed's own list); links are shortlinks.
MORE_READ = [
    ("Russia Denies Trump-Putin Call Amid Rumors of Secret Peace Plan for Ukraine", 1187),
    ("Comparing China’s New J-35A Stealth Fighter to the U.S. F-35A and Russia’s SU-57", 1203),
    ("US Embassy in Kyiv Temporarily Closes Amid Fears of Escalated Russian Air Strikes", 1195),
    ("Xi Jinping and Biden’s Talks on US-China Relations, Prepares to Work with Donald Trump",
     1211),
    ("Re-Igniting the Cosmos: Why M31GlobalNews Went Silent, and Why We’re Back Now, "
     "Louder Than Ever", 2045),
]
# In-body promos, as a CMS's "inline related" widget drops them between body paragraphs:
# a label and one linked headline, drawn per page and per fetch, with no class name that
# gives them away; and a linked newsletter line closing the body.
PROMO_LABELS = ["Read more:", "ALSO READ:", "Related:", "See also:"]
PROMOS = [
    ("Pyongyang Hosts Russian Delegation for Talks on Rail Links and Energy", 1241),
    ("Astronomers Map the Hidden Dark Matter Bridge Between Two Galaxy Clusters", 1245),
    ("Seoul Summons Moscow's Ambassador Over Arms Transfers to the North", 1249),
    ("Why Central Asia Is Courting Both Beijing and Moscow", 1253),
    ("Europe's Grid Operators Brace for a Colder Winter", 1257),
    ("The Webb Telescope Finds Water Vapour Around a Young Star", 1261),
]
PROMO_AFTER = (2, 5)  # body paragraphs a promo line follows
NEWSLETTER_LINE = "Sign up for our newsletter"
ALSO_LIKE = [
    ("PM Modi Gives Thumbs Up to Xi Jinping at BRICS Summit After India-China Border Agreement",
     "PM Modi's thumbs-up to Xi at BRICS Summit signals progress in India-China border talks.",
     "November 8, 2024", 1233),
    ("Joe Biden Authorizes Ukraine to Use US Long-Range Missiles Against Russia",
     "Biden approves long-range missiles for Ukraine, risking further escalation in the "
     "Russia-Ukraine conflict.", "November 18, 2024", 1240),
    ("PM Modi and Xi Jinping to Meet at BRICS Summit Today, in Five Years",
     "PM Modi and Xi Jinping to hold their first official meeting in five years at the BRICS "
     "Summit.", "November 8, 2024", 1229),
    ("What If Donald Trump Loses the 2024 US Elections? A Look at the Consequences",
     "What happens if Trump loses? A look at potential unrest and challenges to democracy in "
     "the 2024 US election.", "October 28, 2024", 1219),
]
MENU = ["Astrophysics & Space", "Cosmology & Universe", "Fundamental Physics",
        "Original Research & Hypotheses", "Science Essays & Editorials", "Geopolitics"]
SOCIAL = ["Facebook", "X", "Instagram", "Youtube", "Google News", "LinkedIn", "Medium"]


def slug(text: str) -> str:
    out = "".join(c.lower() if c.isalnum() else "-" for c in text)
    return "-".join(part for part in out.split("-") if part)


def menu(ctx: SiteContext, css: str) -> str:
    items = "".join(
        f'<li class="menu-item menu-item-type-taxonomy"><a href="{ctx.url("/category/" + slug(m) + "/")}">'
        f"{esc(m)}</a></li>" for m in MENU)
    return f'<ul id="{css}" class="menu">{items}<li class="menu-item"><a href="{ctx.url("/")}">Home</a></li></ul>'


def head(ctx: SiteContext, title: str, extra: str = "") -> str:
    return f"""<!DOCTYPE html>
<html lang="en-US" class="no-js">
<head>
<meta charset="UTF-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)} - {NAME}</title>
<link rel="alternate" type="application/rss+xml" title="{NAME} &raquo; Feed" href="{ctx.url("/feed/")}" />
<link rel="stylesheet" id="foxiz-main-css" href="{ctx.url("/wp-content/themes/foxiz/assets/css/main.css?ver=2.3.5")}" media="all" />
<script src="{ctx.url("/wp-includes/js/jquery/jquery.min.js?ver=3.7.1")}" id="jquery-core-js"></script>
{extra}
</head>"""


def header(ctx: SiteContext, chrome: Chrome, reading: str | None) -> str:
    sticky = ""
    if reading:
        sticky = f"""<div class="sticky-reading"><span class="reading-label">Reading:</span>
<span class="reading-title">{esc(reading)}</span><a class="share-trigger" href="#">Share</a></div>"""
    return f"""<div class="site-outer"><header id="site-header" class="header-wrap">
<div class="logo-wrap"><a class="logo" href="{ctx.url("/")}"><span>{NAME}</span></a></div>
<nav id="site-navigation" class="main-menu-wrap">{menu(ctx, "menu-main")}</nav>
<div class="header-right"><a class="notification" href="#">Notification</a>
<span class="notification-count">{chrome.count(1, 9)}</span> <a href="#">Show More</a></div>
{sticky}
</header>"""


def newsletter_box() -> str:
    return f"""<div class="newsletter-box"><h2 class="newsletter-title">Sign Up For Daily Newsletter</h2>
<p class="newsletter-description">{NEWSLETTER_PROMPT}</p>
<form class="newsletter-form"><input type="email" placeholder="Your email address"><button>Subscribe</button></form>
<p class="newsletter-privacy">{NEWSLETTER_TERMS}</p></div>"""


def reactions(chrome: Chrome) -> str:
    spans = "".join(f'<div class="reaction"><span class="reaction-label">{r}</span>'
                    f'<span class="reaction-count">{chrome.count(0, 40)}</span></div>'
                    for r in REACTIONS)
    return f'<aside class="reactions-section"><h3>{REACTIONS_PROMPT}</h3>{spans}</aside>'


def comment_form(ctx: SiteContext, chrome: Chrome, post_id: int) -> str:
    return f"""<div id="comments" class="comment-box-wrap"><h3 class="comment-box-header">Leave a review</h3>
<div id="respond" class="comment-respond"><h3 id="reply-title">Leave a Review <a href="#respond">Cancel reply</a></h3>
<form action="{ctx.url("/wp-comments-post.php")}" method="post" id="commentform">
<p class="comment-notes">{COMMENT_NOTE}</p><p class="rating-note">{RATING_PROMPT}</p>
<textarea id="comment" name="comment"></textarea>
<div class="gform_validation_container"><label>Phone</label><input name="input_4" type="text">
<div class="gfield_description">{VALIDATION}</div></div>
<input type="hidden" name="comment_post_ID" value="{post_id}">
<input type="hidden" id="_wpnonce" name="_wpnonce" value="{chrome.nonce()}">
<input type="submit" value="Post Comment"></form></div>
<p class="comment-count">{chrome.count(0, 60)} Comments</p></div>"""


def sidebar(ctx: SiteContext, chrome: Chrome) -> str:
    social = "".join(f'<a class="social-{slug(s)}" href="#">{s}<span class="counter">'
                     f'{chrome.count(1, 90)}K</span></a>' for s in SOCIAL)
    ad = chrome.pick(ADS)
    trending = "".join(
        f'<li><a href="{ctx.article_url(v)}">{esc(v.title)}</a> <span class="meta-ago">'
        f"{ctx.ago(chrome.count(3, 600))}</span></li>"
        for v in chrome.shuffled(ctx.articles)[:3])
    return f"""<aside class="sidebar-wrap">
<div class="ad-wrap"><span class="ad-description">- Advertisement -</span><img alt="{ad}" src="{ctx.url("/wp-content/uploads/ads/" + chrome.nonce(6) + ".jpg")}"></div>
<div class="widget newsletter-widget"><h4>Subscribe Newsletter</h4><p>{SIDEBAR_PROMPT}</p></div>
<div class="widget social-counter">{social}</div>
<div class="widget trending"><h4>Trending</h4><ul>{trending}</ul></div>
</aside>"""


def also_like(ctx: SiteContext, chrome: Chrome) -> str:
    cards = "".join(
        f'<div class="p-wrap"><h4 class="entry-title"><a href="{ctx.url(f"/?p={pid}")}">'
        f'{esc(t)}</a></h4><p class="entry-summary">{esc(s)}</p><div class="p-meta">'
        f'<span class="category">Geopolitics</span><time>{d}</time></div></div>'
        for t, s, d, pid in chrome.shuffled(ALSO_LIKE))
    return f'<section class="block-wrap also-like"><h3>YOU MAY ALSO LIKE</h3>{cards}</section>'


def footer(ctx: SiteContext) -> str:
    legal = "".join(f'<li><a href="{ctx.url("/" + slug(x) + "/")}">{x}</a></li>' for x in
                    ["Privacy Policy", "Terms and Conditions", "Cookie Policy", "Disclaimer",
                     "Copyright Policy"])
    return f"""<footer id="site-footer" class="footer-wrap">
<div class="footer-col"><h4>Categories</h4>{menu(ctx, "menu-footer")}</div>
<div class="footer-col"><h4>Legal &amp; Policies</h4><ul>{legal}<li><a href="{ctx.url("/sitemap_index.xml")}">Sitemap</a></li></ul></div>
<div class="footer-col"><h4>Explore &amp; Engage</h4><ul><li>Write for Us</li><li>Newsletter</li><li>FAQs</li></ul></div>
<div class="footer-col"><h4>Newsletter</h4><p>{FOOTER_PROMPT}</p><a href="#">SIGN UP NOW</a></div>
<div class="footer-address"><p>{ADDRESS}</p><p class="copyright">{COPYRIGHT}</p></div>
<div class="popup-newsletter"><h4>Join Us!</h4><p>{JOIN_PROMPT}</p><p>Zero spam, Unsubscribe at any time.</p></div>
</footer></div>"""
