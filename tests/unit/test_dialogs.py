"""Every dialog offers a way out that changes nothing: dialogs are built with components/dialogs.py,
whose `actions` puts Cancel beside the one action."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# the session-timeout warning is built once and reopened; "Stay signed in" is its way out
OWN_DIALOG = {ROOT / 'components' / 'dialogs.py', ROOT / 'components' / 'frame.py'}


def _sources() -> list[Path]:
    return sorted([*ROOT.joinpath('pages').rglob('*.py'), *ROOT.joinpath('components').rglob('*.py')])


def test_dialogs_are_built_with_the_helper_that_adds_cancel() -> None:
    raw = [path.relative_to(ROOT) for path in _sources() if path not in OWN_DIALOG and 'ui.dialog(' in path.read_text()]
    assert raw == [], 'build dialogs with components.dialogs.dialog() and dialogs.actions() (Cancel beside the action)'


def test_every_dialog_has_its_actions_row() -> None:
    for path in _sources():
        text = path.read_text()
        opened, rows = len(re.findall(r'dialogs\.dialog\(', text)), len(re.findall(r'dialogs\.actions\(', text))
        assert opened <= rows, f'{path.relative_to(ROOT)}: a dialog without dialogs.actions (no Cancel)'
    assert 'Cancel' in (ROOT / 'components' / 'dialogs.py').read_text()
