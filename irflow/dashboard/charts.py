"""Horizontal bar charts as geometry for a server-rendered <svg>: no JavaScript, no outside
request. The template draws what `bar_chart` computes; the numbers shown are the ones in
the table beside the chart.

Coordinates are in the SVG's own units (its viewBox); the browser scales the whole
drawing to the width it has. Each bar is as long as its value is against the largest
value, to the hundredth of a unit; a zero is no bar at all.
"""

from dataclasses import dataclass

from flask_babel import format_decimal

WIDTH = 640  # the whole drawing
LABEL_WIDTH = 220  # labels, right-aligned against the bars
VALUE_WIDTH = 56  # the number after the longest bar
GAP = 8  # between label and bar, and bar and number
ROW_HEIGHT = 26
BAR_HEIGHT = 18
PADDING = 4  # above the first row and below the last
LABEL_MAX_CHARS = 32  # longer labels are shortened with "…"; the full one is in <title>

BAR_START = LABEL_WIDTH + GAP
BAR_AREA = WIDTH - BAR_START - GAP - VALUE_WIDTH


@dataclass(frozen=True)
class Bar:
    label: str  # full label, for <title> and the table
    short_label: str  # what fits beside the bar
    value: int
    value_text: str  # the value formatted for the user's language
    x: float
    y: float  # top of the bar
    width: float
    height: float
    text_y: float  # baseline of the label and the value, centred on the bar
    value_x: float


@dataclass(frozen=True)
class BarChart:
    title: str
    bars: tuple
    width: int
    height: int
    label_x: int  # right edge of the labels (text-anchor end)

    @property
    def view_box(self):
        return f"0 0 {self.width} {self.height}"

    @property
    def description(self):
        """One sentence for screen readers: the title and every bar's label and value."""
        return "; ".join([self.title] + [f"{bar.label}: {bar.value_text}" for bar in self.bars])


def shorten(text, limit=LABEL_MAX_CHARS):
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def bar_chart(title, items, number_format=format_decimal):
    """A BarChart of `items`, (label, value) pairs in the order to draw them. Values are
    counts: whole and not negative."""
    items = [(str(label), int(value)) for label, value in items]
    if any(value < 0 for _, value in items):
        raise ValueError("bar charts draw counts; a negative value was given")
    largest = max((value for _, value in items), default=0)
    bars = []
    for index, (label, value) in enumerate(items):
        top = PADDING + index * ROW_HEIGHT + (ROW_HEIGHT - BAR_HEIGHT) / 2
        length = round(BAR_AREA * value / largest, 2) if largest else 0.0
        bars.append(
            Bar(
                label=label,
                short_label=shorten(label),
                value=value,
                value_text=number_format(value),
                x=BAR_START,
                y=top,
                width=length,
                height=BAR_HEIGHT,
                text_y=top + BAR_HEIGHT / 2,
                value_x=round(BAR_START + length + GAP, 2),
            )
        )
    height = 2 * PADDING + len(items) * ROW_HEIGHT
    return BarChart(title=str(title), bars=tuple(bars), width=WIDTH, height=height, label_x=LABEL_WIDTH)
