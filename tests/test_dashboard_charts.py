"""The geometry of the dashboard's bar charts (irflow/dashboard/charts.py) and the period's
academic years (irflow/dashboard/forms.py), without a request."""

from itertools import pairwise

import pytest
from flask_babel import force_locale

from irflow.dashboard.charts import (
    BAR_AREA,
    BAR_HEIGHT,
    BAR_START,
    GAP,
    LABEL_MAX_CHARS,
    PADDING,
    ROW_HEIGHT,
    VALUE_WIDTH,
    WIDTH,
    bar_chart,
)
from irflow.dashboard.forms import is_academic_year


def test_bars_are_proportional_to_the_largest_value():
    chart = bar_chart("Participants by host country", [("Germany", 8), ("France", 4), ("Poland", 1), ("Chile", 0)])
    widths = [bar.width for bar in chart.bars]
    assert widths == [BAR_AREA, BAR_AREA / 2, round(BAR_AREA / 8, 2), 0]
    assert all(bar.x == BAR_START for bar in chart.bars)
    # The number follows its bar, and the longest one still fits in the drawing.
    for bar in chart.bars:
        assert bar.value_x == pytest.approx(bar.x + bar.width + GAP)
        assert bar.value_x + VALUE_WIDTH <= WIDTH


def test_rows_are_stacked_without_overlap_and_the_height_fits_them():
    chart = bar_chart("t", [(str(n), n) for n in range(1, 6)])
    tops = [bar.y for bar in chart.bars]
    assert [b - a for a, b in pairwise(tops)] == [ROW_HEIGHT] * 4
    assert all(bar.height == BAR_HEIGHT and bar.text_y == bar.y + BAR_HEIGHT / 2 for bar in chart.bars)
    assert chart.height == 2 * PADDING + 5 * ROW_HEIGHT >= tops[-1] + BAR_HEIGHT
    assert chart.view_box == f"0 0 {WIDTH} {chart.height}"


def test_no_items_no_bars_and_all_zero_draws_nothing():
    assert bar_chart("t", []).bars == ()
    assert [bar.width for bar in bar_chart("t", [("a", 0), ("b", 0)]).bars] == [0, 0]


def test_negative_values_are_refused():
    with pytest.raises(ValueError):
        bar_chart("t", [("a", 3), ("b", -1)])


def test_long_labels_are_shortened_beside_the_bar_and_kept_whole_for_the_title():
    name = "Al-Farabi Kazakh National University, Faculty of International Relations"
    bar = bar_chart("t", [(name, 3)]).bars[0]
    assert bar.label == name
    assert len(bar.short_label) == LABEL_MAX_CHARS and bar.short_label.endswith("…")
    assert name.startswith(bar.short_label[:-1])
    assert bar_chart("t", [("Short", 1)]).bars[0].short_label == "Short"


def test_values_are_formatted_in_the_users_language(app):
    with force_locale("ru"):
        chart = bar_chart("Участники", [("Германия", 12345)])
    assert chart.bars[0].value_text == "12\xa0345"
    with force_locale("en"):
        assert bar_chart("Participants", [("Germany", 12345)]).bars[0].value_text == "12,345"
    assert chart.description == "Участники; Германия: 12\xa0345"


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("2026/2027", True),
        ("1999/2000", True),
        ("2026/2028", False),
        ("2026/2026", False),
        ("2026-2027", False),
        ("26/27", False),
        ("2026/2027 ", False),
        ("", False),
        (None, False),
        ("２０２６/２０２７", False),
    ],
)
def test_academic_years(value, valid):
    assert is_academic_year(value) is valid
