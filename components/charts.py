"""Plotly figure builders: plain functions from service DTOs to figures."""
from __future__ import annotations

from datetime import timedelta

import plotly.graph_objects as go

from components.theme import PRIMARY, SECONDARY
from portal.services.dashboard import Aging, Collections
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


# the legend sits above the plot: below it, a phone's slanted axis labels ran into it
_LAYOUT = {'margin': {'l': 56, 'r': 16, 't': 36, 'b': 40}, 'paper_bgcolor': 'white', 'plot_bgcolor': 'white',
           'legend': {'orientation': 'h', 'x': 0, 'y': 1.02, 'yanchor': 'bottom'},
           'font': {'family': 'system-ui, sans-serif', 'color': '#0f172a'},
           'hoverlabel': {'bgcolor': SECONDARY}}


def aging(rows: list[Aging]) -> go.Figure:
    """A/R by aging bucket, patient and insurance stacked; a click on a segment opens its charges."""
    labels = [f'{row.bucket} days' for row in rows]
    figure = go.Figure()
    figure.add_bar(name='Patient', x=labels, y=[row.patient / 100 for row in rows], marker_color=PRIMARY,
                   customdata=[['patient', row.bucket] for row in rows],
                   hovertemplate='%{x}<br>Patient: $%{y:,.2f}<extra></extra>')
    figure.add_bar(name='Insurance', x=labels, y=[row.insurance / 100 for row in rows], marker_color='#7fb8c4',
                   customdata=[['insurance', row.bucket] for row in rows],
                   hovertemplate='%{x}<br>Insurance: $%{y:,.2f}<extra></extra>')
    figure.update_layout(barmode='stack', height=300, yaxis={'tickprefix': '$', 'gridcolor': '#e2e8f0',
                                                             'tickformat': ',.0f'}, **_LAYOUT)
    return figure


def collections(series: list[Collections], grouping: str) -> go.Figure:
    """Patient and insurance collections by day, week (starting Monday) or month; each bar carries its
    (source, first day, last day) so a click opens its payments."""
    sums: dict[str, list] = {}
    for day in series:
        monday = day.day - timedelta(days=day.day.weekday())
        label = day.day.isoformat() if grouping == 'day' else monday.isoformat() if grouping == 'week' \
            else f'{day.day:%Y-%m}'
        bar = sums.setdefault(label, [0, 0, day.day, day.day])
        bar[0] += day.patient
        bar[1] += day.insurance
        bar[3] = day.day
    labels = list(sums)
    figure = go.Figure()
    for index, (name, source, color) in enumerate((('Patients', 'patient', PRIMARY),
                                                   ('Insurance', 'insurance', '#7fb8c4'))):
        figure.add_bar(name=name, x=labels, y=[bar[index] / 100 for bar in sums.values()], marker_color=color,
                       customdata=[[source, bar[2].isoformat(), bar[3].isoformat()] for bar in sums.values()],
                       hovertemplate=f'%{{x}}<br>{name}: $%{{y:,.2f}}<extra></extra>')
    figure.update_layout(barmode='stack', height=300, xaxis={'type': 'category'},
                         yaxis={'tickprefix': '$', 'gridcolor': '#e2e8f0', 'tickformat': ',.0f'}, **_LAYOUT)
    return figure


def mix(parts: dict[str, int], names: dict[str, str]) -> go.Figure:
    """A donut of money by kind (payment method, channel); each slice carries its key."""
    figure = go.Figure(go.Pie(labels=[names.get(key, key) for key in parts], values=[v / 100 for v in parts.values()],
                              hole=0.5, sort=False, customdata=list(parts), textinfo='percent',
                              textposition='inside', insidetextorientation='horizontal',
                              hovertemplate='%{label}: $%{value:,.2f} (%{percent})<extra></extra>'))
    # the legend below the donut and the shares inside it: a legend above ran into the slices' outside labels
    figure.update_layout(height=300, showlegend=True, uniformtext={'minsize': 10, 'mode': 'hide'},
                         **{**_LAYOUT, 'margin': {'l': 8, 'r': 8, 't': 8, 'b': 8},
                            'legend': {'orientation': 'h', 'x': 0.5, 'xanchor': 'center', 'y': -0.02,
                                       'yanchor': 'top'}})
    return figure
