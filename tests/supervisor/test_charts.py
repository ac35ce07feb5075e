"""Chart geometry: the labels under a column chart's axis never overlap, however many columns and however wide."""

import pytest

from backoffice.supervisor import charts


@pytest.mark.parametrize(
    ("count", "label", "all_shown"),
    [
        (7, "11-16", True),  # last week, by day: every day named
        (28, "11-16", False),
        (53, "12-01–12-07", False),  # a year, by week
        (12, "12-01–12-07", False),
    ],
)
def test_axis_labels_do_not_overlap(count, label, all_shown):
    chart = charts.columns([(label, 50.0)] * count)

    shown = [column for column in chart.columns if column.show_label]
    assert shown[0] is chart.columns[0]
    assert (len(shown) == count) is all_shown
    gaps = [b.x - a.x for a, b in zip(shown, shown[1:], strict=False)]
    assert min(gaps) >= charts.text_width(label)
