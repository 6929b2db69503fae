"""Every use-case a caller reaches has the one service shape (portal/services/__init__.py).

The use-cases are found, not listed: every public function of `portal.services` that a page, a component, a job,
the CLI or main.py names (read from their source with `ast`, through `from portal.services... import` or `import
portal.services...`). A use-case either takes the caller's session (`def f(session, /, *, actor, ...)`) or opens
its own sessions (`def f(*, actor, ...)`: it takes an `actor`, or it or a function it calls opens
`read_session`/`write_session`); everything but the session is keyword-only and `actor`, where there is one, comes
first. It returns a frozen view dataclass, a tuple of them, a plain value (or a dict of them) or None, never a
table row. Functions that touch no database (parsing, formatting) are plain helpers and are not checked.

NOT_YET lists the use-cases still to convert, by name: a new use-case cannot join it (the test names it), and a
converted one must leave it (the test says so), so the list only shrinks.
"""
from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import textwrap
import types
import typing
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlmodel import SQLModel

ROOT = Path(__file__).resolve().parents[3]
CALLERS = ('pages', 'components', 'portal/jobs', 'portal/cli.py', 'main.py')
PLAIN = (int, str, bool, date, datetime, bytes, type(None))
OPENS_SESSION = {'read_session', 'write_session'}

# use-case (under portal.services) -> what is wrong with it today; remove its line when it is converted.
NOT_YET: dict[str, str] = {
}


def _caller_files() -> list[Path]:
    files: list[Path] = []
    for name in CALLERS:
        path = ROOT / name
        files += [path] if path.is_file() else sorted(path.rglob('*.py'))
    return files


def _is_module(name: str) -> bool:
    try:
        importlib.import_module(name)
    except ImportError:
        return False
    return True


def _names_used(path: Path) -> set[tuple[str, str]]:
    """(module, attribute) for every portal.services name this file uses."""
    tree = ast.parse(path.read_text(encoding='utf-8'), filename=str(path))
    modules: dict[str, str] = {}  # local name -> module
    functions: dict[str, tuple[str, str]] = {}  # local name -> (module, attribute)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or '').startswith('portal.services'):
            for alias in node.names:
                full = f'{node.module}.{alias.name}'
                if _is_module(full):
                    modules[alias.asname or alias.name] = full
                else:
                    functions[alias.asname or alias.name] = (node.module, alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith('portal.services'):
                    modules[alias.asname or alias.name] = alias.name
    used: set[tuple[str, str]] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            chain, value = [node.attr], node.value
            while isinstance(value, ast.Attribute):
                chain.append(value.attr)
                value = value.value
            if isinstance(value, ast.Name) and value.id in modules:
                used.add((modules[value.id], chain[-1]))
        elif isinstance(node, ast.Name) and node.id in functions:
            used.add(functions[node.id])
    return used


def _reaches_database(function: types.FunctionType, seen: dict[object, bool]) -> bool:
    """The function opens a session (`read_session`/`write_session`), or calls a function of `portal` that
    does: names in its body, resolved through its module (`name` or `module.name`)."""
    if function in seen:
        return seen[function]
    seen[function] = False
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    except (OSError, TypeError, SyntaxError):
        return False
    namespace = function.__globals__
    for node in ast.walk(tree):
        target = None
        if isinstance(node, ast.Name):
            if node.id in OPENS_SESSION:
                seen[function] = True
                return True
            target = namespace.get(node.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                and isinstance(namespace.get(node.value.id), types.ModuleType):
            target = getattr(namespace[node.value.id], node.attr, None)
        if inspect.isfunction(target) and target is not function and target.__module__.startswith('portal.') \
                and _reaches_database(target, seen):
            seen[function] = True
            return True
    return False


def use_cases() -> dict[str, types.FunctionType]:
    found: dict[str, types.FunctionType] = {}
    seen: dict[object, bool] = {}
    for path in _caller_files():
        for module, name in _names_used(path):
            function = getattr(importlib.import_module(module), name, None)
            if name.startswith('_') or not inspect.isfunction(function) \
                    or not function.__module__.startswith('portal.services'):
                continue
            parameters = list(inspect.signature(function).parameters)
            if parameters[:1] == ['session'] or 'actor' in parameters or _reaches_database(function, seen):
                found[f'{function.__module__}.{function.__qualname__}'.removeprefix('portal.services.')] = function
    return found


USE_CASES = use_cases()


def _orm_inside(kind: object, seen: set[object]) -> bool:
    """A table row anywhere in this type: itself, an argument of it, or a field of a dataclass in it."""
    if kind in seen:
        return False
    seen.add(kind)
    if isinstance(kind, type) and issubclass(kind, SQLModel):
        return True
    if any(_orm_inside(arg, seen) for arg in typing.get_args(kind)):
        return True
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        return any(_orm_inside(field, seen) for field in typing.get_type_hints(kind).values())
    return False


def _return_problem(returned: object) -> str | None:
    """None when `returned` is a frozen view, a tuple of them, a plain value, a dict of plain values or None (or
    a union of those)."""
    origin, args = typing.get_origin(returned), typing.get_args(returned)
    if origin in (typing.Union, types.UnionType):
        return next((problem for arg in args if (problem := _return_problem(arg))), None)
    if origin is tuple:
        return next((problem for arg in args if arg is not Ellipsis and (problem := _return_problem(arg))), None)
    if origin is dict and all(arg in PLAIN for arg in args):  # a lookup of plain values: id -> name
        return None
    if returned in PLAIN:
        return None
    if isinstance(returned, type) and dataclasses.is_dataclass(returned):
        if not returned.__dataclass_params__.frozen:  # type: ignore[attr-defined]
            return f'{returned.__qualname__} is not frozen'
        if _orm_inside(returned, set()):
            return f'{returned.__qualname__} holds a table row'
        return None
    return f'returns {returned!r}: not a frozen view, a tuple of them or a plain value'


def shape_problems(function: types.FunctionType) -> list[str]:
    parameters = list(inspect.signature(function).parameters.values())
    problems = []
    if parameters[:1] and parameters[0].name == 'session':
        if parameters[0].kind != inspect.Parameter.POSITIONAL_ONLY:
            problems.append('session is not positional-only')
        parameters = parameters[1:]
    if not all(parameter.kind == inspect.Parameter.KEYWORD_ONLY for parameter in parameters):
        problems.append('a parameter other than the session is not keyword-only')
    names = [parameter.name for parameter in parameters]
    if 'actor' in names and names[0] != 'actor':
        problems.append('actor is not the first keyword')
    hints = typing.get_type_hints(function)
    if 'return' not in hints:
        problems.append('no return annotation')
    elif problem := _return_problem(hints['return']):
        problems.append(problem)
    return problems


def test_use_cases_are_found_in_pages_and_jobs() -> None:
    """The search finds what pages and jobs call, and skips helpers that touch no database."""
    assert 'statements.list_statements' in USE_CASES  # a page, through components.calls.read
    assert 'statement_run.run_statements' in USE_CASES  # a job, opening its own sessions
    assert 'attempt_targets.statement_of' not in USE_CASES  # a parser
    assert len(USE_CASES) > 100


@pytest.mark.parametrize('name', sorted(USE_CASES))
def test_the_use_case_has_the_one_service_shape(name: str) -> None:
    problems = shape_problems(USE_CASES[name])
    if name in NOT_YET:
        assert problems, f'{name} has the shape now: remove it from NOT_YET'
        pytest.xfail(NOT_YET[name])
    assert not problems, f'{name}: ' + '; '.join(problems)


# The practice's own facts and the payer list: reference data, the same for whoever asks.
NO_PERSON_NEEDED = {'coverage.payers', 'practice.cached_practice', 'practice.cached_zone'}


def test_a_use_case_a_signed_in_page_calls_takes_the_actor() -> None:
    """On patient and staff pages a signed-in person acts, so the use-case is told who (and checks them)."""
    missing = set()
    for folder in ('pages/patient', 'pages/staff'):
        for path in sorted((ROOT / folder).rglob('*.py')):
            for module, name in _names_used(path):
                function = getattr(importlib.import_module(module), name, None)
                key = f'{getattr(function, "__module__", "")}.{name}'.removeprefix('portal.services.')
                if key in USE_CASES and 'actor' not in inspect.signature(function).parameters:
                    missing.add(key)
    assert missing == NO_PERSON_NEEDED


def test_not_yet_names_only_use_cases_that_still_exist() -> None:
    assert not set(NOT_YET) - set(USE_CASES), 'NOT_YET names functions no caller uses: remove them'


@pytest.mark.parametrize(('returned', 'fine'), [
    (int, True), (type(None), True), (tuple[int, ...], True), (str | None, True),
    (dict[int, str], True), (list[int], False), (dict[int, SQLModel], False), (SQLModel, False),
])
def test_the_return_check_tells_views_from_the_rest(returned: object, fine: bool) -> None:
    assert (_return_problem(returned) is None) is fine


# Hand-written staff guards still to replace by `permissions.require_*` (file: line of the `if`): only shrinks.
GUARDS_NOT_YET = {
}


def hand_written_guards(source: str) -> list[int]:
    """Lines of `if <the actor's role or is_staff> ...: raise NotFound/Refused`: a refusal that
    `permissions.require_staff`/`require_admin` would audit, written by hand (and so not audited)."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.If):
            continue
        on_actor = any(isinstance(part, ast.Attribute) and part.attr in {'is_staff', 'role'}
                       and isinstance(part.value, ast.Name) and part.value.id == 'actor'
                       for part in ast.walk(node.test))
        raised = [ast.unparse(statement.exc) for statement in node.body
                  if isinstance(statement, ast.Raise) and statement.exc is not None]
        refuses = any('NotFound' in error or 'Refused' in error for error in raised)
        if on_actor and refuses:
            lines.append(node.lineno)
    return lines


def test_staff_access_is_refused_by_the_one_guard() -> None:
    """No service, page or component refuses staff-only work by checking the role itself: the refusal is
    `permissions.require_staff`/`require_admin` (a 404, audited once by the helper)."""
    found = {str(path.relative_to(ROOT)): lines for folder in ('portal/services', 'pages', 'components')
             for path in sorted((ROOT / folder).rglob('*.py'))
             if (lines := hand_written_guards(path.read_text(encoding='utf-8')))}
    assert set(found) == set(GUARDS_NOT_YET), f'hand-written role guards: {found}'


def test_the_guard_check_finds_a_hand_written_guard() -> None:
    written = 'def f(session, actor):\n    if not actor.is_staff:\n        raise NotFound()\n'
    business = 'def f(actor, kind):\n    if not actor.is_staff and kind.new:\n        raise ValidationFailed("call")\n'
    assert (hand_written_guards(written), hand_written_guards(business)) == ([2], [])


def test_the_shape_check_names_what_is_wrong() -> None:
    def old(session: object, actor: object, account_id: int) -> list[int]: ...  # noqa: ARG001
    def own(*, account_id: int, actor: object) -> SQLModel: ...  # noqa: ARG001
    def good(session: object, /, *, actor: object, account_id: int) -> tuple[int, ...] | None: ...  # noqa: ARG001

    assert shape_problems(old) == ['session is not positional-only',
                                   'a parameter other than the session is not keyword-only',
                                   'returns list[int]: not a frozen view, a tuple of them or a plain value']
    assert shape_problems(own) == ['actor is not the first keyword',
                                   f'returns {SQLModel!r}: not a frozen view, a tuple of them or a plain value']
    assert shape_problems(good) == []
