"""Design constants in one place: colours, widths and the shared look of cards and buttons."""
from __future__ import annotations

from nicegui import app, ui

PRIMARY = '#0f5c6e'  # deep teal: contrast 7.6:1 on white
SECONDARY = '#1d7a8c'
ACCENT = '#c2410c'
POSITIVE = '#15803d'
NEGATIVE = '#b91c1c'
WARNING = '#a16207'

CARD = 'w-full rounded-xl shadow-sm border border-slate-200 bg-white p-4 sm:p-5'
PAGE = 'w-full max-w-5xl mx-auto px-3 sm:px-6 py-4 sm:py-6 gap-4'
NARROW_PAGE = 'w-full max-w-md mx-auto px-4 py-6 gap-4'
MUTED = 'text-slate-600 text-sm'
H1 = 'text-2xl font-semibold text-slate-900'
H2 = 'text-lg font-semibold text-slate-900'
BIG_BUTTON = 'w-full text-base'
LINK = 'text-teal-800 underline underline-offset-2'
NO_FILE_LIST = 'settle-no-file-list'  # an upload field without Quasar's file list (the page shows the files)


def install() -> None:
    """App-wide look, set once at start-up (not per page: every element costs each connected client)."""
    app.colors(primary=PRIMARY, secondary=SECONDARY, accent=ACCENT, positive=POSITIVE, negative=NEGATIVE,
               warning=WARNING)
    ui.add_head_html('<style>body{background:#f8fafc;color:#0f172a}'
                     '.settle-nav a:focus-visible{outline:2px solid #0f5c6e;outline-offset:2px}'
                     f'.{NO_FILE_LIST} .q-uploader__list{{display:none}}</style>', shared=True)
