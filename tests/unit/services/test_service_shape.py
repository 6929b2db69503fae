"""The services converted to the one service shape (portal/services/__init__.py): `def use_case(session, /, *,
actor, ...)` (the session positional only, everything else by keyword, the acting user named `actor`), returning
frozen view dataclasses (or tuples of them)."""
from __future__ import annotations

import dataclasses
import inspect
import typing

import pytest

from portal.services import home, statements

USE_CASES = [home.account_home, home.patient_home, statements.list_statements, statements.statement_detail,
             statements.find_statement_detail]


@pytest.mark.parametrize('use_case', USE_CASES, ids=lambda use_case: use_case.__qualname__)
def test_the_use_case_has_the_one_service_shape(use_case) -> None:  # noqa: ANN001
    parameters = list(inspect.signature(use_case).parameters.values())
    assert [(parameters[0].name, parameters[0].kind)] == [('session', inspect.Parameter.POSITIONAL_ONLY)]
    assert all(parameter.kind == inspect.Parameter.KEYWORD_ONLY for parameter in parameters[1:])
    assert parameters[1].name == 'actor'
    returned = typing.get_type_hints(use_case)['return']
    views = [arg for arg in typing.get_args(returned) if arg not in (type(None), Ellipsis)] or [returned]
    for view in views:
        assert dataclasses.is_dataclass(view) and view.__dataclass_params__.frozen, f'{view} is not a frozen view'
