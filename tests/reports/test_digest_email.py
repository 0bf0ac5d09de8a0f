"""The digest's content in both languages: figures beside the period before, the change and
whether it is better or worse, the link to the reports, the unsubscribe hint, and escaping."""

from __future__ import annotations

from datetime import date
from typing import Any

from kefu.reports.digests.render import (
    DigestContext,
    change_text,
    digest_rows,
    duration_text,
    render_digest,
)

XSS = "<script>alert(1)</script>"


def summary(**overrides: Any) -> dict[str, Any]:
    figures: dict[str, Any] = {
        "conversations": {"created": 12, "resolved": 10},
        "first_response": {"median_s": 90.0},
        "resolution": {"median_s": 3 * 3600 + 5 * 60},
        "fcr": {"rate": 0.5},
        "csat": {"average": 4.25, "satisfied_rate": 0.8},
        "sla": {"attainment": 0.95},
        "queue": {"wait_median_s": 30.0, "abandonment_rate": 0.1},
    }
    for path, value in overrides.items():
        section, key = path.split("__")
        figures[section] = {**figures[section], key: value}
    return figures


BEFORE = summary(
    conversations__created=10,
    conversations__resolved=10,
    first_response__median_s=120.0,
    sla__attainment=0.9,
    csat__average=None,
    csat__satisfied_rate=None,
    queue__abandonment_rate=0.05,
)


def context(locale: str, **changes: Any) -> DigestContext:
    values: dict[str, Any] = {
        "locale": locale,
        "name": "Mei",
        "frequency": "daily",
        "start": date(2026, 11, 24),
        "end": date(2026, 11, 24),
        "timezone": "Asia/Taipei",
        "team_names": ["Support"],
        "base_url": "https://kefu.example.com",
    }
    values.update(changes)
    return DigestContext(**values)


def test_rows_compare_with_the_period_before_in_english() -> None:
    rows = {r.label: r for r in digest_rows(summary(), BEFORE, "en")}
    created = rows["Conversations created"]
    assert (created.value, created.previous, created.change, created.trend) == (
        "12",
        "10",
        "+2 (+20.0%)",
        "",  # more conversations is neither better nor worse
    )
    frt = rows["First response time (median)"]
    assert (frt.value, frt.previous, frt.change, frt.trend) == (
        "1 min 30 s",
        "2 min 0 s",
        "−30 s",
        "better",
    )
    sla = rows["SLA attainment"]
    assert (sla.value, sla.change, sla.trend) == ("95.0%", "+5.0 pts", "better")
    assert rows["Resolution time (median)"].value == "3 h 5 min"
    assert rows["Resolution time (median)"].change == "±0"
    csat = rows["CSAT average (1–5)"]
    assert (csat.value, csat.previous, csat.change, csat.trend) == ("4.25", "–", "–", "")
    abandoned = rows["Left the queue unanswered"]
    assert (abandoned.change, abandoned.trend) == ("+5.0 pts", "worse")


def test_changes_and_durations_read_in_chinese() -> None:
    assert duration_text(90, "zh-TW") == "1 分 30 秒"
    assert duration_text(26 * 3600, "zh-TW") == "1 天 2 小時"
    assert change_text(0.9, 0.95, "rate", "zh-TW") == "−5.0 個百分點"
    assert change_text(3, 0, "count", "en") == "+3"  # no percentage of nothing
    assert change_text(None, 5, "count", "en") == "–"


def test_the_english_email() -> None:
    content = render_digest(context("en"), summary(), BEFORE)
    assert content.subject == "kefu daily report: 2026-11-24"
    text = content.text
    assert text.startswith("Hi Mei,\nhere are yesterday's figures (2026-11-24, Asia/Taipei)")
    assert "Scope: your teams (Support)." in text
    assert "- First response time (median): 1 min 30 s | 2 min 0 s | −30 s (better)" in text
    assert "Open the reports: https://kefu.example.com/console/#/reports" in text
    assert "To change or stop it, open your profile in the console: " in text
    assert "https://kefu.example.com/console/#/profile" in text
    html = content.html
    assert '<html lang="en">' in html
    assert 'href="https://kefu.example.com/console/#/reports"' in html
    assert "▲</span> −30 s" in html and "(better)" in html
    assert '<th scope="col"' in html


def test_the_chinese_weekly_email_for_an_admin() -> None:
    ctx = context(
        "zh-TW",
        frequency="weekly",
        start=date(2026, 11, 16),
        end=date(2026, 11, 22),
        team_names=None,
    )
    content = render_digest(ctx, summary(), BEFORE)
    assert content.subject == "kefu 每週報表：2026-11-16 – 2026-11-22"
    assert "以下是上週（2026-11-16 – 2026-11-22，Asia/Taipei）的數據" in content.text
    assert "範圍：所有團隊與收件匣。" in content.text
    assert "- 首次回覆時間（中位數）: 1 分 30 秒 | 2 分 0 秒 | −30 秒 (較佳)" in content.text
    assert "您收到這封每週摘要" in content.text
    assert "查看完整報表" in content.html and '<html lang="zh-Hant-TW">' in content.html


def test_names_from_users_and_admins_are_escaped_in_html() -> None:
    ctx = context("en", name=XSS, team_names=["A & B", '<img src=x onerror="x()">'])
    content = render_digest(ctx, summary(), BEFORE)
    assert XSS not in content.html and "<img" not in content.html
    assert "Hi &lt;script&gt;alert(1)&lt;/script&gt;," in content.html
    assert "A &amp; B, &lt;img src=x onerror=&quot;x()&quot;&gt;" in content.html
    assert f"Hi {XSS}," in content.text  # plain text is text: nothing to escape
    hostile = context("en", base_url='https://x.example/"><script>')
    assert '"><script>' not in render_digest(hostile, summary(), BEFORE).html
