"""Plotly figure builders: plain functions from service DTOs to figures."""
from __future__ import annotations

import plotly.graph_objects as go

from components.theme import PRIMARY, SECONDARY
from portal.services.home import MonthCollections


def collections_by_month(months: list[MonthCollections]) -> go.Figure:
    labels = [month.month for month in months]
    figure = go.Figure()
    figure.add_bar(name='Patient payments', x=labels, y=[month.patient / 100 for month in months],
                   marker_color=PRIMARY, hovertemplate='%{x}<br>Patients: $%{y:,.2f}<extra></extra>')
    figure.add_bar(name='Insurance payments', x=labels, y=[month.insurance / 100 for month in months],
                   marker_color='#7fb8c4', hovertemplate='%{x}<br>Insurance: $%{y:,.2f}<extra></extra>')
    figure.update_layout(
        barmode='stack', margin={'l': 56, 'r': 16, 't': 16, 'b': 40}, height=320,
        legend={'orientation': 'h', 'y': -0.18}, paper_bgcolor='white', plot_bgcolor='white',
        yaxis={'tickprefix': '$', 'gridcolor': '#e2e8f0', 'tickformat': ',.0f'},
        font={'family': 'system-ui, sans-serif', 'color': '#0f172a'}, hoverlabel={'bgcolor': SECONDARY})
    return figure
