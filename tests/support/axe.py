"""Accessibility checks with axe-core (installed by `npm ci` from package-lock.json) in a Playwright page."""
from __future__ import annotations

from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
AXE_JS = ROOT / 'node_modules' / 'axe-core' / 'axe.min.js'
BLOCKING_IMPACTS = ('serious', 'critical')


class AxeMissing(RuntimeError):
    pass


def run_axe(page: Any, *, context: str | None = None) -> list[dict]:
    """Inject axe-core into `page` (if not there yet), run it, return all violations."""
    if not AXE_JS.exists():
        raise AxeMissing(f'{AXE_JS} is missing: run scripts/setup (npm ci)')
    if not page.evaluate('() => typeof window.axe !== "undefined"'):
        page.add_script_tag(path=str(AXE_JS))
    results = page.evaluate('async (context) => await window.axe.run(context || document)', context)
    return results['violations']


def blocking(violations: list[dict]) -> list[dict]:
    return [violation for violation in violations if violation.get('impact') in BLOCKING_IMPACTS]


def describe(violations: list[dict], max_nodes: int = 3) -> str:
    lines = []
    for violation in violations:
        targets = [' '.join(map(str, node.get('target', []))) for node in violation.get('nodes', [])]
        more = f' (+{len(targets) - max_nodes} more)' if len(targets) > max_nodes else ''
        lines.append(f"- [{violation.get('impact')}] {violation['id']}: {violation.get('help')}\n"
                     f"    nodes: {', '.join(targets[:max_nodes])}{more}")
    return '\n'.join(lines)


SETTLE_JS = """async () => {
    const running = document.getAnimations().filter((animation) => animation.playState === 'running');
    await Promise.race([Promise.all(running.map((animation) => animation.finished.catch(() => null))),
                        new Promise((resolve) => setTimeout(resolve, 2000))]);
}"""


def assert_accessible(page: Any, label: str = '') -> None:
    """Fail when axe reports any serious or critical violation on the page once it has settled.

    Quasar animates labels and focus colours; a check in mid-transition can see a half-faded colour,
    so transitions finish first, and a finding must still be there a moment later to count."""
    page.evaluate(SETTLE_JS)
    found = blocking(run_axe(page))
    if found:
        page.wait_for_timeout(750)
        page.evaluate(SETTLE_JS)
        found = blocking(run_axe(page))
    where = label or page.url
    assert not found, f'axe-core: serious/critical accessibility violations on {where}:\n{describe(found)}'
