"""koreanews (한빛뉴스): a Korean-language news site, on fixturesite.plainsite."""

from __future__ import annotations

from datetime import datetime

from fixturesite import plainsite


def _date(moment: datetime) -> str:
    return f"{moment.year}년 {moment.month}월 {moment.day}일"


WORDS = plainsite.Words(
    key="koreanews", name="한빛뉴스", lang="ko", tagline="한빛뉴스 최신 기사",
    nav=("정치", "북한", "경제", "사회", "국제"), by="기자", related="관련 기사",
    newsletter="매일 아침 주요 뉴스를 이메일로 받아 보세요. 구독은 언제든 해지할 수 있습니다.",
    subscribe="구독하기",
    footer="© 2025 한빛뉴스. 무단 전재 및 재배포 금지. 서울특별시 종로구 세종대로 1",
    date=_date)


SITE = plainsite.PlainSite(WORDS)
STABLE_ACROSS_STATES = SITE.STABLE_ACROSS_STATES
article, route, non_article_paths = SITE.article, SITE.route, SITE.non_article_paths
