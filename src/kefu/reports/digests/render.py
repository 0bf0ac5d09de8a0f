"""The digest's content: the key figures of a period beside the period before, as plain text and
as HTML. Pure: figures in (the core's summary dicts), strings out.

Every string that did not come from this file (the user's and teams' names, the time zone, the
server's public URL) is escaped in the HTML; the HTML loads nothing (inline styles only).
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from kefu.reports.digests.texts import digest_text

Kind = Literal["count", "duration", "rate", "score"]
Trend = Literal["better", "worse", "same", ""]


@dataclass(frozen=True)
class Metric:
    key: str
    path: tuple[str, str]  # where it is in the summary: ("first_response", "median_s")
    kind: Kind
    higher_is_better: bool | None  # None: neither (more conversations is not good or bad)


METRICS = (
    Metric("created", ("conversations", "created"), "count", None),
    Metric("resolved", ("conversations", "resolved"), "count", True),
    Metric("first_response", ("first_response", "median_s"), "duration", False),
    Metric("resolution", ("resolution", "median_s"), "duration", False),
    Metric("fcr", ("fcr", "rate"), "rate", True),
    Metric("csat", ("csat", "average"), "score", True),
    Metric("satisfied", ("csat", "satisfied_rate"), "rate", True),
    Metric("sla", ("sla", "attainment"), "rate", True),
    Metric("queue_wait", ("queue", "wait_median_s"), "duration", False),
    Metric("abandonment", ("queue", "abandonment_rate"), "rate", False),
)
NONE = "–"
MINUS = "−"  # a real minus sign, not a hyphen


@dataclass(frozen=True)
class DigestContext:
    locale: str
    name: str  # the recipient's
    frequency: str  # "daily" | "weekly"
    start: date
    end: date
    timezone: str
    team_names: Sequence[str] | None  # None: everything (admins)
    base_url: str


@dataclass(frozen=True)
class Row:
    label: str
    value: str
    previous: str
    change: str
    trend: Trend


@dataclass(frozen=True)
class DigestContent:
    subject: str
    text: str
    html: str


def _get(summary: Mapping[str, Any], path: tuple[str, str]) -> float | None:
    section = summary.get(path[0]) or {}
    value = section.get(path[1])
    return None if value is None else float(value)


def duration_text(seconds: float, locale: str) -> str:
    s = max(0, round(abs(seconds)))
    if s < 60:
        return digest_text("digest.dur.s", locale, s=s)
    minutes, s = divmod(s, 60)
    if minutes < 60:
        return digest_text("digest.dur.min", locale, m=minutes, s=s)
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return digest_text("digest.dur.h", locale, h=hours, m=minutes)
    days, hours = divmod(hours, 24)
    return digest_text("digest.dur.d", locale, d=days, h=hours)


def value_text(value: float | None, kind: Kind, locale: str) -> str:
    if value is None:
        return NONE
    if kind == "count":
        return f"{int(value):,}"
    if kind == "duration":
        return duration_text(value, locale)
    if kind == "rate":
        return f"{value * 100:.1f}%"
    return f"{value:.2f}"


def _signed(text: str, negative: bool) -> str:
    return f"{MINUS if negative else '+'}{text}"


def change_text(current: float | None, previous: float | None, kind: Kind, locale: str) -> str:
    """ "+12 (+15.0%)", "−1 min 5 s", "+3.2 pts", "±0"; "–" without both figures."""
    if current is None or previous is None:
        return NONE
    diff = current - previous
    if abs(diff) < 1e-9:
        return "±0"
    negative = diff < 0
    if kind == "count":
        text = _signed(f"{abs(int(diff)):,}", negative)
        if previous:
            text += f" ({_signed(f'{abs(diff) / previous * 100:.1f}%', negative)})"
        return text
    if kind == "duration":
        return _signed(duration_text(diff, locale), negative)
    if kind == "rate":
        return _signed(digest_text("digest.pts", locale, n=f"{abs(diff) * 100:.1f}"), negative)
    return _signed(f"{abs(diff):.2f}", negative)


def _trend(metric: Metric, current: float | None, previous: float | None) -> Trend:
    if metric.higher_is_better is None or current is None or previous is None:
        return ""
    if abs(current - previous) < 1e-9:
        return "same"
    return "better" if (current > previous) == metric.higher_is_better else "worse"


def digest_rows(current: Mapping[str, Any], previous: Mapping[str, Any], locale: str) -> list[Row]:
    rows = []
    for metric in METRICS:
        now, before = _get(current, metric.path), _get(previous, metric.path)
        rows.append(
            Row(
                label=digest_text(f"digest.m.{metric.key}", locale),
                value=value_text(now, metric.kind, locale),
                previous=value_text(before, metric.kind, locale),
                change=change_text(now, before, metric.kind, locale),
                trend=_trend(metric, now, before),
            )
        )
    return rows


def _scope(ctx: DigestContext) -> str:
    if ctx.team_names is None:
        return digest_text("digest.scope.all", ctx.locale)
    if not ctx.team_names:
        return digest_text("digest.scope.none", ctx.locale)
    separator = "、" if ctx.locale == "zh-TW" else ", "
    return digest_text("digest.scope.teams", ctx.locale, teams=separator.join(ctx.team_names))


def render_digest(
    ctx: DigestContext, current: Mapping[str, Any], previous: Mapping[str, Any]
) -> DigestContent:
    loc = ctx.locale
    dates = {"start": ctx.start.isoformat(), "end": ctx.end.isoformat()}
    subject = digest_text(f"digest.subject.{ctx.frequency}", loc, **dates)
    reports_url = f"{ctx.base_url}/console/#/reports"
    profile_url = f"{ctx.base_url}/console/#/profile"
    rows = digest_rows(current, previous, loc)
    lines = {
        "greeting": digest_text("digest.greeting", loc, name=ctx.name),
        "intro": digest_text(f"digest.intro.{ctx.frequency}", loc, tz=ctx.timezone, **dates),
        "scope": _scope(ctx),
        "unsubscribe": digest_text(
            "digest.unsubscribe",
            loc,
            frequency=digest_text(f"digest.frequency.{ctx.frequency}", loc),
            url=profile_url,
        ),
        "footer": digest_text("digest.footer", loc),
    }
    return DigestContent(
        subject=subject,
        text=_text(loc, lines, rows, reports_url),
        html=_html(loc, subject, lines, rows, reports_url),
    )


def _text(loc: str, lines: dict[str, str], rows: list[Row], reports_url: str) -> str:
    out = [lines["greeting"], lines["intro"], lines["scope"], ""]
    heads = ("digest.col.value", "digest.col.previous", "digest.col.change")
    head = " | ".join(digest_text(k, loc) for k in heads)
    out.append(f"{digest_text('digest.col.figure', loc)}: {head}")
    for row in rows:
        trend = f" ({digest_text(f'digest.{row.trend}', loc)})" if row.trend in TRENDS else ""
        out.append(f"- {row.label}: {row.value} | {row.previous} | {row.change}{trend}")
    out += ["", digest_text("digest.open", loc, url=reports_url), "", "--"]
    out += [lines["unsubscribe"], lines["footer"]]
    return "\n".join(out) + "\n"


TRENDS = {"better", "worse"}
_COLOURS = {"better": "#1a7f37", "worse": "#c62828"}
_ARROWS = {"better": "▲", "worse": "▼"}
_CELL = "padding:6px 10px;border-bottom:1px solid #e3e6ea;text-align:left"


def _html(loc: str, subject: str, lines: dict[str, str], rows: list[Row], url: str) -> str:
    e = html.escape
    heads = ("digest.col.figure", "digest.col.value", "digest.col.previous", "digest.col.change")
    head = "".join(f'<th scope="col" style="{_CELL}">{e(digest_text(k, loc))}</th>' for k in heads)
    body = []
    for row in rows:
        change = e(row.change)
        if row.trend in TRENDS:
            word = e(digest_text(f"digest.{row.trend}", loc))
            change = (
                f'<span style="color:{_COLOURS[row.trend]}">'
                f'<span aria-hidden="true">{_ARROWS[row.trend]}</span> {change} '
                f'<span style="font-size:12px">({word})</span></span>'
            )
        body.append(
            f'<tr><th scope="row" style="{_CELL};font-weight:normal">{e(row.label)}</th>'
            f'<td style="{_CELL};font-weight:bold">{e(row.value)}</td>'
            f'<td style="{_CELL};color:#677083">{e(row.previous)}</td>'
            f'<td style="{_CELL}">{change}</td></tr>'
        )
    lang = "zh-Hant-TW" if loc == "zh-TW" else "en"
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{e(subject)}</title></head>"
        '<body style="margin:0;padding:24px;background:#f5f6f8;color:#1d2430;'
        "font:15px/1.5 system-ui,-apple-system,'Segoe UI','Noto Sans TC','PingFang TC',"
        "'Microsoft JhengHei',sans-serif\">"
        '<div style="max-width:680px;margin:0 auto;background:#fff;border-radius:10px;'
        'padding:24px">'
        f'<h1 style="font-size:20px;margin:0 0 12px">{e(subject)}</h1>'
        f"<p>{e(lines['greeting'])}<br>{e(lines['intro'])}</p>"
        f'<p style="color:#677083">{e(lines["scope"])}</p>'
        '<table style="border-collapse:collapse;width:100%;margin:12px 0">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
        f'<p><a href="{e(url)}" style="display:inline-block;background:#1f6feb;color:#fff;'
        'padding:8px 16px;border-radius:8px;text-decoration:none">'
        f"{e(digest_text('digest.open_link', loc))}</a></p>"
        '<hr style="border:0;border-top:1px solid #e3e6ea;margin:20px 0">'
        f'<p style="font-size:12px;color:#677083">{e(lines["unsubscribe"])}<br>'
        f"{e(lines['footer'])}</p></div></body></html>"
    )
