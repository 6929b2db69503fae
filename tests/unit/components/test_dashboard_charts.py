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


def test_a_donut_shows_its_shares_inside_and_its_legend_below_it() -> None:
    """A legend above a donut ran into the slices' outside labels at 1280: the shares sit inside the slices
    (a slice too thin for its share hides it; the amounts are listed under the chart) and the legend below."""
    figure = charts.mix({'card': 310027, 'check': 346615, 'cash': 6500}, {'card': 'Card', 'check': 'Check'})
    (pie,) = figure.data
    assert (pie.textinfo, pie.textposition) == ('percent', 'inside')
    assert figure.layout.legend.y < 0 and figure.layout.legend.yanchor == 'top'
    assert figure.layout.uniformtext.mode == 'hide'
