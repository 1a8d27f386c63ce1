"""Bar charts of the statistics as SVG made here: no chart library, nothing served from elsewhere.

The SVG uses presentation attributes only (no `style`), so it passes the pages' strict CSP when
the app places it in a page; every bar carries its value and a label in words.
"""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape

from backend.review.statistics_words import dimension_value, metric_title

STEP, HEIGHT, PLOT = 96, 250, 160


def _fit(text: str, width: int = 7) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def bar_chart_svg(report: dict[str, Any], metric: str, names: dict[str, Any], lang: str) -> str:
    """One metric over the report's rows: a bar, its value, and two label lines (name, month)."""
    rows, group_by = report["rows"], report["group_by"]
    title = metric_title(metric, lang)
    values = [int(r.get(metric, 0) or 0) for r in rows]
    top = max([1, *values])
    width = max(320, len(rows) * STEP + 20)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {width} {HEIGHT}" width="{width}" height="{HEIGHT}" '
        f'aria-label="{escape(title, {chr(34): "&quot;"})}" data-metric="{escape(metric)}">',
        f"<title>{escape(title)}</title>",
        f'<line x1="10" y1="{PLOT + 20}" x2="{width - 10}" y2="{PLOT + 20}" stroke="#9aa5b1"/>',
    ]
    if not rows:
        parts.append(
            f'<text x="{width / 2}" y="{HEIGHT / 2}" text-anchor="middle" font-size="14" '
            f'fill="#555">{escape("没有数据" if lang != "en" else "No data")}</text>'
        )
    for i, (row, value) in enumerate(zip(rows, values, strict=True)):
        mid = 10 + i * STEP + STEP / 2
        bar = value / top * PLOT
        labels = [dimension_value(d, str(row.get(d, "")), names, lang) for d in group_by]
        whole = " · ".join(labels)
        parts += [
            f'<g class="bar"><title>{escape(whole)}：{value}</title>',
            f'<rect x="{mid - 20}" y="{PLOT + 20 - bar:.1f}" width="40" height="{bar:.1f}" '
            f'fill="#1565c0"/>',
            f'<text x="{mid}" y="{PLOT + 15 - bar:.1f}" text-anchor="middle" font-size="12">'
            f"{value}</text>",
            f'<text class="bar-label" x="{mid}" y="{PLOT + 38}" text-anchor="middle" '
            f'font-size="12" fill="#222">{escape(_fit(labels[0] if labels else ""))}</text>',
        ]
        if len(labels) > 1:
            parts.append(
                f'<text x="{mid}" y="{PLOT + 54}" text-anchor="middle" font-size="11" '
                f'fill="#555">{escape(_fit(" ".join(labels[1:]), 9))}</text>'
            )
        parts.append("</g>")
    parts.append("</svg>")
    return "".join(parts)
