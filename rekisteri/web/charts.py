"""Charts drawn on the server as inline SVG: no script, nothing from another origin (the
content security policy allows neither), readable without colour through the table beside it."""

from __future__ import annotations

from html import escape

from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 16, 52
# Distinguishable for the common colour-vision deficiencies (Okabe-Ito), plus dash patterns.
COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7")
DASHES = ("", "6 3", "2 3", "8 3 2 3")


def _nice_top(value: int) -> int:
    """The smallest 1, 2 or 5 times a power of ten at or above the value (at least 1)."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= value:
                return step * factor
        step *= 10


def line_chart(labels: list[str], series: list[tuple[str, list[int]]], *, title: str) -> SafeString:
    """One line per series over the labels (the x axis), with a y axis from zero, a legend
    and a title for screen readers. Empty labels give an empty string."""
    if not labels:
        return mark_safe("")
    top = _nice_top(max([1, *(v for _, values in series for v in values)]))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(i: int) -> float:
        return LEFT + (plot_w * (i + 0.5) / len(labels))

    def y(v: int) -> float:
        return TOP + plot_h - plot_h * v / top

    parts = [
        f'<svg class="chart-svg" role="img" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" '
        f'xmlns="http://www.w3.org/2000/svg" aria-labelledby="chart-title">',
        f'<title id="chart-title">{escape(title)}</title>',
    ]
    for k in range(5):  # gridlines and the y axis's values
        value = top * k // 4
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(value):.1f}" y2="{y(value):.1f}" '
            'stroke="#ccc" stroke-width="1"/>'
            f'<text x="{LEFT - 6}" y="{y(value) + 4:.1f}" text-anchor="end" font-size="11">{value}</text>'
        )
    every = max(1, -(-len(labels) // 12))  # at most about twelve labels on the x axis
    for i, label in enumerate(labels):
        if i % every == 0:
            parts.append(
                f'<text x="{x(i):.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" '
                f'font-size="11">{escape(label)}</text>'
            )
    for n, (name, values) in enumerate(series):
        colour, dash = COLOURS[n % len(COLOURS)], DASHES[n % len(DASHES)]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="2"{dash_attr} points="{points}">'
            f"<title>{escape(name)}</title></polyline>"
        )
        for i, v in enumerate(values):
            parts.append(
                f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="2.5" fill="{colour}">'
                f"<title>{escape(name)} {escape(labels[i])}: {v}</title></circle>"
            )
        lx = LEFT + n * 150
        parts.append(
            f'<line x1="{lx}" x2="{lx + 24}" y1="{HEIGHT - 14}" y2="{HEIGHT - 14}" stroke="{colour}" '
            f'stroke-width="2"{dash_attr}/>'
            f'<text x="{lx + 30}" y="{HEIGHT - 10}" font-size="12">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))
