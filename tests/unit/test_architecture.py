"""The arrows only point down: main -> pages -> components -> portal. `portal/` never imports the UI
(nicegui, pages, components), anywhere in a module, including inside functions. And the Alembic
history stays linear: one head."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PORTAL = ROOT / 'portal'
FORBIDDEN = ('nicegui', 'pages', 'components')


def _imported_modules(tree: ast.AST) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Call):
            # importlib.import_module('nicegui') / __import__('nicegui') with a literal name
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ''
            if name in {'import_module', '__import__'} and node.args and isinstance(node.args[0], ast.Constant) \
                    and isinstance(node.args[0].value, str):
                found.append((node.lineno, node.args[0].value))
    return found


def _is_forbidden(module: str) -> bool:
    return module.split('.')[0] in FORBIDDEN


def ui_imports_in(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding='utf-8'), filename=str(path))
    return [f'{path.relative_to(ROOT)}:{line}: imports {module}'
            for line, module in _imported_modules(tree) if _is_forbidden(module)]


def test_portal_never_imports_the_ui() -> None:
    modules = sorted(PORTAL.rglob('*.py'))
    assert modules, 'no modules under portal/'
    offences = [offence for path in modules for offence in ui_imports_in(path)]
    assert not offences, 'portal/ must not import nicegui, pages or components:\n' + '\n'.join(offences)


@pytest.mark.parametrize('source', [
    'import nicegui',
    'from nicegui import ui',
    'import nicegui.ui as ui',
    'def f():\n    from pages.patient import home\n',
    'class C:\n    def m(self):\n        import components.frame\n',
    'import importlib\nimportlib.import_module("nicegui")\n',
])
def test_the_check_catches_ui_imports(source: str) -> None:
    assert any(_is_forbidden(name) for _, name in _imported_modules(ast.parse(source)))


@pytest.mark.parametrize('source', ['import portal.db', 'from . import pages', 'import nicegui_extras',
                                    'from portal.services import components_of_charge'])
def test_the_check_allows_other_imports(source: str) -> None:
    assert not any(_is_forbidden(name) for _, name in _imported_modules(ast.parse(source)))


def test_alembic_history_has_a_single_head() -> None:
    from alembic.script import ScriptDirectory

    from portal.db import alembic_config
    heads = ScriptDirectory.from_config(alembic_config('sqlite://')).get_heads()
    assert len(heads) == 1, (f'Alembic has {len(heads)} heads {heads}: rebase the newest migration onto the '
                             'current head (set its down_revision) instead of merging heads')
