"""A bare NiceGUI page, the baseline for the portal's benchmarks: `python bare_app.py PORT`."""
from __future__ import annotations

import sys

from nicegui import ui


@ui.page('/')
def index() -> None:
    ui.label('Hello from a bare NiceGUI page')


if __name__ in {'__main__', '__mp_main__'}:
    ui.run(host='127.0.0.1', port=int(sys.argv[1]) if len(sys.argv) > 1 else 8090, reload=False, show=False,
           title='bare', show_welcome_message=False)
