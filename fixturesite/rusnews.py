"""rusnews (Восточный вестник): a Russian-language news site, on fixturesite.plainsite."""

from __future__ import annotations

from datetime import datetime

from fixturesite import plainsite

MONTHS = ("января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа",
          "сентября", "октября", "ноября", "декабря")


def _date(moment: datetime) -> str:
    return f"{moment.day} {MONTHS[moment.month - 1]} {moment.year}"


WORDS = plainsite.Words(
    key="rusnews", name="Восточный вестник", lang="ru", tagline="Новости Дальнего Востока",
    nav=("Политика", "Экономика", "Общество", "В мире"), by="Автор:",
    related="Читайте также",
    newsletter="Подпишитесь на утреннюю рассылку: главные новости дня в одном письме.",
    subscribe="Подписаться",
    footer="© 2025 «Восточный вестник». Перепечатка материалов только с письменного "
           "согласия редакции.",
    date=_date)


SITE = plainsite.PlainSite(WORDS)
STABLE_ACROSS_STATES = SITE.STABLE_ACROSS_STATES
article, route, non_article_paths = SITE.article, SITE.route, SITE.non_article_paths
