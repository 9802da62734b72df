"""JSONLogic conformance through OUR wrapper (``flowyard.engine.conditions``), not the raw library.

The suites live in ``shared/`` beside the repository root (``<repo>/../shared``), in CI too.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from flowyard.engine import conditions

SUITES = Path(__file__).resolve().parents[2].parent / "shared" / "conformance" / "jsonlogic"
OFFICIAL = SUITES / "tests.json"
COMMUNITY = SUITES / "compat-tables-suites"

pytestmark = pytest.mark.skipif(
    not SUITES.is_dir(), reason=f"JSONLogic conformance data not found at {SUITES}"
)


def same(a: Any, b: Any) -> bool:
    """JSON equality: 1 == 1.0 (JSON has one number type) but True is not 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def official_cases() -> list[tuple[Any, Any, Any]]:
    if not OFFICIAL.is_file():
        return []
    entries = json.loads(OFFICIAL.read_text(encoding="utf-8"))
    return [tuple(e) for e in entries if not isinstance(e, str)]


def test_official_suite_has_all_cases() -> None:
    assert len(official_cases()) == 277


@pytest.mark.parametrize(("rule", "data", "expected"), official_cases())
def test_official_case(rule: Any, data: Any, expected: Any) -> None:
    got = conditions.evaluate(rule, data)
    assert same(got, expected), f"{json.dumps(rule)} with {json.dumps(data)}: {got!r}"


def run_community_file(path: Path) -> tuple[int, list[str]]:
    """Run one compat-tables file; return (passed, failure descriptions)."""
    passed, failures = 0, []
    for case in json.loads(path.read_text(encoding="utf-8")):
        if isinstance(case, str):
            continue
        label = case.get("description", json.dumps(case["rule"]))
        try:
            got = conditions.evaluate(case["rule"], case.get("data"))
        except conditions.ConditionError as exc:
            if "error" in case:
                passed += 1
            else:
                failures.append(f"{label}: raised {exc.detail}")
            continue
        if "error" not in case and same(got, case["result"]):
            passed += 1
        else:
            failures.append(f"{label}: got {got!r}, want {case.get('result', case.get('error'))}")
    return passed, failures


def test_community_suites_report(capsys: pytest.CaptureFixture[str]) -> None:
    """Report every community suite; only ``compatible.json`` (the core spec) must fully pass."""
    index = json.loads((COMMUNITY / "index.json").read_text(encoding="utf-8"))
    lines, results = [], {}
    for name in index:
        passed, failures = run_community_file(COMMUNITY / name)
        results[name] = (passed, failures)
        lines.append(f"{name:32s} {passed:4d} agree, {len(failures):4d} differ")
    with capsys.disabled():
        print("\nJSONLogic community suites through flowyard.engine.conditions:")
        print("\n".join(lines))
    passed, failures = results["compatible.json"]
    assert not failures, failures
    assert passed == 278
