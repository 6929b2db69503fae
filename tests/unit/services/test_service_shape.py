"""Every use-case a caller reaches has the one service shape (portal/services/__init__.py).

The use-cases are found, not listed: every public function of `portal.services` that a page, a component,
a job, the CLI or main.py names (read from their source with `ast`, through `from portal.services... import`
or `import portal.services...`). A use-case either takes the caller's session (`def f(session, /, *, actor,
...)`) or opens its own sessions (`def f(*, actor, ...)`: it takes an `actor`, or it or a function it calls
opens `read_session`/`write_session`); everything but the session is keyword-only and `actor`, where there is
one, comes first.
It returns a frozen view dataclass, a tuple of them, a plain value or None, never a table row. Functions that
touch no database (parsing, formatting) are plain helpers and are not checked.

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
    'appointments.choices.find_patients': 'returns list[PatientMatch]',
    'appointments.slots.open_slots': 'returns list[DaySlots]',
    'autopay.sweep': 'SweepResult is not frozen',
    'charge_import.import_charges': 'positional arguments; ImportSummary is not frozen',
    'claim_import.import_claims': 'positional arguments; ClaimImportSummary is not frozen',
    'coverage.coverage_page': 'returns list[AccountCoverage]',
    'coverage.payers': 'session by keyword; returns dict[int, str]',
    'coverage_queue.queue': 'returns list[QueueItem]',
    'delivery.deliver_pending': 'positional arguments',
    'delivery.deliver_pending_sms': 'positional arguments',
    'identity.single_sign_on.record_refusal': 'positional arguments; returns SsoRefused',
    'operations.job_statuses': 'returns list[JobStatus]',
    'operations.outbox': 'session by keyword',
    'paperless.paperless_choices': 'session by keyword; returns list[PaperlessChoice]',
    'paperless.set_paperless': 'session by keyword',
    'payment_history.load_activity_since': 'returns list[SinceStatement]',
    'practice.practice': 'session by keyword',
    'preferences.preferences_for': 'session by keyword',
    'preferences.save_preferences': 'session by keyword',
    'remittances.match_by_hand': 'returns list[str]',
    'remittances.recent_remittances': 'returns list[RemittanceRow]',
    'sms_replies.handle_inbound': 'positional arguments',
    'statement_run.recent_runs': 'session by keyword; returns list[StatementRun]',
    'statement_run.run_statements': 'RunResult is not frozen',
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
    """None when `returned` is a frozen view, a tuple of them, a plain value or None (or a union of those)."""
    origin, args = typing.get_origin(returned), typing.get_args(returned)
    if origin in (typing.Union, types.UnionType):
        return next((problem for arg in args if (problem := _return_problem(arg))), None)
    if origin is tuple:
        return next((problem for arg in args if arg is not Ellipsis and (problem := _return_problem(arg))), None)
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


def test_not_yet_names_only_use_cases_that_still_exist() -> None:
    assert not set(NOT_YET) - set(USE_CASES), 'NOT_YET names functions no caller uses: remove them'


@pytest.mark.parametrize(('returned', 'fine'), [
    (int, True), (type(None), True), (tuple[int, ...], True), (str | None, True),
    (list[int], False), (dict[int, str], False), (SQLModel, False),
])
def test_the_return_check_tells_views_from_the_rest(returned: object, fine: bool) -> None:
    assert (_return_problem(returned) is None) is fine
