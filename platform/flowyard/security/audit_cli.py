"""``flowyard audit verify``: walk the chain and say plainly whether it is intact."""

from __future__ import annotations

from collections.abc import Callable

from flowyard.security import audit


def verify_command(say: Callable[[str], None]) -> int:
    """Print the result; returns the process exit code (0 intact, 1 tampered)."""
    report = audit.verify()
    if report.ok:
        say(f"Audit trail intact: {report.checked} events, newest #{report.head_seq} "
            f"(hash {report.head_hash[:16]}…). Keep that hash somewhere safe: a later run "
            "that no longer reaches it means events were removed from the end.")  # fmt: skip
        return 0
    say(f"Audit trail damaged: {len(report.problems)} problem(s) in {report.checked} events.")
    for problem in report.problems[:50]:
        say(f"  - {problem}")
    return 1
