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


PAGES = ROOT / 'pages'


def page_import_offences(sources: dict[str, str]) -> list[str]:
    """Pages never import from other pages. `sources` maps each module under pages/ ('pages.profile')
    to its source. A page module (one with `@ui.page(`) is imported only by the registering package
    `__init__` modules; a page module imports from pages/ only its own parts: modules that are no page
    themselves and that no other module uses. Anything two of them share lives in components/."""
    registries = {name for name in sources if name == 'pages' or f'{name}.__init__' in sources
                  or any(other.startswith(name + '.') for other in sources)}
    page_modules = {name for name, source in sources.items() if '@ui.page(' in source}
    imports: dict[str, set[str]] = {}
    for name, source in sources.items():
        found: set[str] = set()
        for node in ast.walk(ast.parse(source)):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else \
                [node.module, *(f'{node.module}.{alias.name}' for alias in node.names)] \
                if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module else []
            found.update(n for n in names if n in sources and n not in registries and n != name)
        imports[name] = found
    users: dict[str, set[str]] = {}
    for name, targets in imports.items():
        if name not in registries:
            for target in targets:
                users.setdefault(target, set()).add(name)
    offences = []
    for name, targets in sorted(imports.items()):
        if name in registries:
            continue
        for target in sorted(targets):
            if target in page_modules:
                offences.append(f'{name} imports the page {target}')
            elif name in page_modules and users[target] != {name}:
                offences.append(f'{name} imports {target}, which {", ".join(sorted(users[target] - {name}))} '
                                'import too: move what they share to components/')
    return offences


def _pages_sources() -> dict[str, str]:
    sources = {}
    for path in sorted(PAGES.rglob('*.py')):
        parts = path.relative_to(ROOT).with_suffix('').parts
        sources['.'.join(parts[:-1] if parts[-1] == '__init__' else parts)] = path.read_text(encoding='utf-8')
    return sources


def test_pages_never_import_from_other_pages() -> None:
    sources = _pages_sources()
    assert 'pages.profile' in sources and sum('@ui.page(' in source for source in sources.values()) > 10
    offences = page_import_offences(sources)
    assert not offences, 'pages import from other pages:\n' + '\n'.join(offences)


@pytest.mark.parametrize(('sources', 'offence'), [
    ({'pages.a': "@ui.page('/a')\ndef a(): ...", 'pages.b': "from pages.a import x\n@ui.page('/b')\ndef b(): ..."},
     'pages.b imports the page pages.a'),
    ({'pages.a': "from pages import part\n@ui.page('/a')\ndef a(): ...", 'pages.part': 'X = 1',
      'pages.b': "import pages.part\n@ui.page('/b')\ndef b(): ..."},
     'pages.a imports pages.part, which pages.b import too: move what they share to components/'),
])
def test_the_page_check_catches_pages_importing_pages(sources: dict[str, str], offence: str) -> None:
    assert offence in page_import_offences({'pages': 'def register(): ...', **sources})


def test_the_page_check_allows_a_pages_own_parts_and_the_registry() -> None:
    sources = {'pages': "def register():\n    from pages import a, b\n",
               'pages.a': "from pages import dialogs\n@ui.page('/a')\ndef a(): ...", 'pages.dialogs': 'X = 1',
               'pages.b': "from components import page\n@ui.page('/b')\ndef b(): ..."}
    assert page_import_offences(sources) == []
