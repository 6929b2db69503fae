"""The arrows only point down: main -> pages -> components -> portal. `portal/` never imports the UI
(nicegui, pages, components), anywhere in a module, including inside functions. Inside `portal/` each
part imports only the parts below it (LAYERS, the table in docs/architecture.md), and no module
reaches itself through its imports. And the Alembic history stays linear: one head.

Every import statement counts, wherever it is (module level, inside a function, under TYPE_CHECKING),
as do import_module/__import__ calls with a literal name. `from package import name` is an import of
the module `package.name` when that is a module, else of the package. Importing a module also runs its
parent packages' __init__ files; those implicit edges are not counted."""
from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PORTAL = ROOT / 'portal'
FORBIDDEN = ('nicegui', 'pages', 'components')


def _imported_modules(tree: ast.AST, *, from_imports: bool = True) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif from_imports and isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
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


# Each part of portal/ (a package, or a module directly under portal/) -> the parts it may import.
# A pair not listed is refused. Keep docs/architecture.md in step.
_FOUNDATION = frozenset({'config', 'clock', 'money', 'reference', 'errors', 'job_catalogue', 'background'})
_DATA = _FOUNDATION | {'db', 'models', 'audit'}
_DOMAIN = _DATA | {'payments', 'demo', 'interop', 'auth', 'notify', 'live', 'services'}
LAYERS: dict[str, frozenset[str]] = {
    'portal': frozenset(),  # portal/__init__.py
    'config': frozenset(),
    'money': frozenset(),
    'reference': frozenset(),
    'errors': frozenset(),
    'job_catalogue': frozenset(),  # the job catalogue: ids, function references, schedules
    'background': frozenset(),  # the one stoppable daemon-thread loop (live listener, practice cache)
    'clock': frozenset({'config'}),
    'db': frozenset({'config'}),
    'models': frozenset({'config', 'clock', 'money'}),
    'audit': frozenset({'clock', 'models'}),
    'migrations': frozenset({'config', 'clock', 'money', 'db', 'models'}),
    'payments': frozenset({'config', 'money', 'errors'}),  # the gateway: no database, no services
    'demo': frozenset({'config', 'clock', 'money', 'reference', 'models'}),  # demo data, states as enums
    'interop': frozenset({'config', 'clock', 'money', 'reference', 'errors'}),  # parses; a service writes
    'auth': _DATA,
    'notify': _DATA,  # the outbox, templates, senders: never services (they pass their checks in)
    'live': frozenset({'config', 'clock', 'db', 'models', 'background'}),  # publish + the listener; services publish
    'services': _DOMAIN - {'services'},
    'documents': _DOMAIN,  # PDFs drawn from the services' views
    'jobs': _DOMAIN,  # claim the run, call one service, record the count
    'startup': _DOMAIN | {'documents', 'jobs'},
    'cli': _DOMAIN | {'documents', 'jobs', 'startup'},
    '__main__': frozenset({'cli'}),
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix('').parts)
    return '.'.join(parts[:-1] if parts[-1] == '__init__' else parts)


def _portal_modules() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(PORTAL.rglob('*.py'))}


def _portal_imports(name: str, path: Path, known: set[str]) -> list[tuple[int, str]]:
    """(line, module) for each import of a `portal` module in module `name`, resolved to the module it loads."""
    tree = ast.parse(path.read_text(encoding='utf-8'), filename=str(path))
    package = name if path.name == '__init__.py' else name.rpartition('.')[0]
    found = _imported_modules(tree, from_imports=False)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ''
            if node.level:
                anchor = package.split('.')[:len(package.split('.')) - node.level + 1]
                base = '.'.join(anchor + ([node.module] if node.module else []))
            found.extend((node.lineno, f'{base}.{alias.name}' if f'{base}.{alias.name}' in known else base)
                         for alias in node.names)
    return [(line, module) for line, module in found if module.split('.')[0] == 'portal']


def _part(module: str) -> str:
    """The LAYERS key of a portal module: its first part under portal/ ('portal' for the package itself)."""
    parts = module.split('.')
    return parts[1] if len(parts) > 1 else 'portal'


def _graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    """module -> the portal modules it imports (an import of a name inside a module counts as the module)."""
    known = set(modules)
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = set()
        for _line, module in _portal_imports(name, path, known):
            while module not in known and '.' in module:
                module = module.rpartition('.')[0]
            if module != name:
                targets.add(module)
        graph[name] = targets
    return graph


def upward_imports(modules: dict[str, Path]) -> list[str]:
    known = set(modules)
    offences = []
    for name, path in modules.items():
        source = _part(name)
        allowed = LAYERS.get(source)
        for line, module in _portal_imports(name, path, known):
            target = _part(module)
            if target == source:
                continue
            if allowed is None or target not in allowed:
                offences.append(f'{name}:{line}: {source} imports {module} ({target}); '
                                f'{source} may import only {sorted(allowed or ())}')
    return offences


def import_circle(graph: dict[str, set[str]]) -> list[str]:
    """One circle of imports (the first module repeated at the end), or [] when there is none."""
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as error:
        return list(reversed(error.args[1]))
    return []


def test_every_part_of_portal_has_a_place_in_the_layers() -> None:
    parts = {_part(name) for name in _portal_modules()}
    assert parts - set(LAYERS) == set(), 'add the new part of portal/ to LAYERS (and docs/architecture.md)'


def test_the_layers_point_down() -> None:
    assert not import_circle({part: set(allowed) for part, allowed in LAYERS.items()}), 'LAYERS has a circle'
    assert 'jobs' not in LAYERS['services'] and 'services' not in LAYERS['auth'] | LAYERS['notify']


def test_portal_imports_only_downwards() -> None:
    offences = upward_imports(_portal_modules())
    assert not offences, 'imports that point up or sideways:\n' + '\n'.join(offences)


def test_no_import_circles_in_portal() -> None:
    circle = import_circle(_graph(_portal_modules()))
    assert not circle, 'import circle: ' + ' -> '.join(circle)


# Above portal/: main -> pages -> components -> portal (portal's own rule is test_portal_never_imports_the_ui).
UI_LAYERS = {'components': ('pages', 'main'), 'pages': ('main',)}


def test_the_ui_layers_point_down() -> None:
    offences = [f'{path.relative_to(ROOT)}:{line}: imports {module}'
                for folder, refused in UI_LAYERS.items() for path in sorted((ROOT / folder).rglob('*.py'))
                for line, module in _imported_modules(ast.parse(path.read_text(encoding='utf-8')))
                if module.split('.')[0] in refused]
    assert not offences, 'components never import pages or main; pages never import main:\n' + '\n'.join(offences)


JOB_MACHINERY = ('portal.jobs.scheduler', 'portal.jobs.runs')  # the staff jobs page runs these; no job's own code


def test_no_page_calls_a_job() -> None:
    offences = []
    for folder in ('pages', 'components'):
        for path in sorted((ROOT / folder).rglob('*.py')):
            tree = ast.parse(path.read_text(encoding='utf-8'))
            modules = _imported_modules(tree, from_imports=False) + [
                (node.lineno, f'{node.module}.{alias.name}') for node in ast.walk(tree)
                if isinstance(node, ast.ImportFrom) and node.module for alias in node.names]
            offences += [f'{path.relative_to(ROOT)}:{line}: imports {module}' for line, module in modules
                         if module.startswith('portal.jobs.') and not module.startswith(JOB_MACHINERY)]
    assert not offences, 'pages call services, never a job:\n' + '\n'.join(offences)


def test_the_checks_catch_an_upward_import_and_a_circle(tmp_path: Path) -> None:
    sources = {
        'portal.services.plans': 'def f():\n    from portal.jobs import autopay\n',  # inside a function
        'portal.jobs.autopay': 'from portal.services import plans\n',
        'portal.notify.due': 'from portal.services.payable import payable_now\n',
        'portal.services.payable': '',
    }
    modules = {}
    for name, source in sources.items():
        modules[name] = tmp_path / f'{name}.py'
        modules[name].write_text(source, encoding='utf-8')
    assert [offence.split(';')[0] for offence in upward_imports(modules)] == [
        'portal.services.plans:2: services imports portal.jobs.autopay (jobs)',
        'portal.notify.due:1: notify imports portal.services.payable (services)']
    assert import_circle(_graph(modules)) in (['portal.services.plans', 'portal.jobs.autopay', 'portal.services.plans'],
                                              ['portal.jobs.autopay', 'portal.services.plans', 'portal.jobs.autopay'])
    del modules['portal.jobs.autopay']
    assert import_circle(_graph(modules)) == []


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
