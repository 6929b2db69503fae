"""The command-line contracts: production start-up refuses unsafe settings; `python -m portal` commands."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {key: value for key, value in os.environ.items()
             if not key.startswith(('PORTAL_', 'PYTEST_', 'NICEGUI_'))}
    clean.update(PORTAL_DATABASE_URL=f'sqlite:///{tmp_path / "portal.db"}', PORTAL_SCHEDULER='off', **env)
    return subprocess.run([sys.executable, *args], cwd=tmp_path, env=clean, capture_output=True, text=True,
                          timeout=120, check=False)


def test_production_start_refuses_defaults_and_names_the_settings(tmp_path: Path) -> None:
    result = run([str(ROOT / 'main.py')], tmp_path, PORTAL_ENV='production', PORTAL_PAYMENTS='demo')
    assert result.returncode == 2
    for setting in ('PORTAL_STORAGE_SECRET', 'PORTAL_PAYMENTS', 'PORTAL_BASE_URL'):
        assert setting in result.stderr
    assert 'Traceback' not in result.stderr
    assert not (tmp_path / 'portal.db').exists()


def test_create_user_checks_the_password_then_creates(tmp_path: Path) -> None:
    weak = run(['-m', 'portal', 'create-user', '--email', 'ann@example.com', '--role', 'admin',
                '--password', 'password1234'], tmp_path, PYTHONPATH=str(ROOT))
    assert weak.returncode == 2
    assert 'common password' in weak.stderr
    made = run(['-m', 'portal', 'create-user', '--email', 'ann@example.com', '--role', 'admin',
                '--password', 'granite-harbor-willow-73'], tmp_path, PYTHONPATH=str(ROOT))
    assert made.returncode == 0, made.stderr
    assert 'Created admin user' in made.stdout
    again = run(['-m', 'portal', 'create-user', '--email', 'ann@example.com', '--role', 'admin',
                 '--password', 'granite-harbor-willow-73'], tmp_path, PYTHONPATH=str(ROOT))
    assert again.returncode == 2


def test_seed_command_is_deterministic_and_prints_the_demo_sign_ins(tmp_path: Path) -> None:
    result = run(['-m', 'portal', 'seed', '--patients', '30', '--seed', '5'], tmp_path, PYTHONPATH=str(ROOT))
    assert result.returncode == 0, result.stderr
    assert 'patient@example.com' in result.stdout and 'staff@example.com' in result.stdout
    again = run(['-m', 'portal', 'seed', '--patients', '30', '--seed', '5'], tmp_path, PYTHONPATH=str(ROOT))
    assert again.returncode == 2  # the demo sign-ins exist already: refused, nothing doubled
    assert 'already holds the demo data' in again.stderr and 'Traceback' not in again.stderr


def test_a_demo_on_a_public_host_is_refused_unless_asked_for(tmp_path: Path) -> None:
    result = run([str(ROOT / 'main.py')], tmp_path, PORTAL_HOST='0.0.0.0')  # noqa: S104
    assert result.returncode == 2
    assert 'PORTAL_ENV=production' in result.stderr and 'PORTAL_HOST=0.0.0.0' in result.stderr
    assert 'Traceback' not in result.stderr
    assert not (tmp_path / 'portal.db').exists()


def test_seed_never_adds_demo_users_next_to_real_ones(tmp_path: Path) -> None:
    made = run(['-m', 'portal', 'create-user', '--email', 'ann@example.com', '--role', 'admin',
                '--password', 'granite-harbor-willow-73'], tmp_path, PYTHONPATH=str(ROOT))
    assert made.returncode == 0, made.stderr
    seeded = run(['-m', 'portal', 'seed', '--patients', '30', '--seed', '5'], tmp_path, PYTHONPATH=str(ROOT))
    assert seeded.returncode == 2
    assert 'holds real users' in seeded.stderr and 'Traceback' not in seeded.stderr
