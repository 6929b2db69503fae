"""The dashboard's charts keep their legend clear of the axis labels, which a phone slants below the plot."""
from __future__ import annotations

from datetime import date

import pytest

from components import charts
from portal.services.dashboard import Aging, Collections


@pytest.mark.parametrize('figure', [
    charts.aging([Aging('0-30', 100, 200, 1, 1), Aging('120+', 300, 0, 2, 0)]),
    charts.collections([Collections(date(2026, 11, 30), 100, 200)], 'week'),
], ids=['aging', 'collections'])
def test_the_legend_sits_above_the_plot_not_among_the_axis_labels(figure) -> None:  # noqa: ANN001
    legend = figure.layout.legend
    assert legend.orientation == 'h'
    assert legend.y >= 1 and legend.yanchor == 'bottom'
