"""Lower a process's CPU priority, so that it yields to the web app on a shared machine.

Why two steps: Linux's default scheduler (with "autogroup") shares the CPU first between
sessions and only then, inside each session, by nice value. A process started in a session of
its own — as ``flowyard up`` starts each of its processes — is a group by itself, so ``nice``
alone changes nothing against the web app. A session leader therefore also lowers its group
(``/proc/self/autogroup``). Measured with three busy loops on two cores, the third at nice 10
in its own session: 2.0 / 2.0 / 2.0 CPU-seconds with ``nice`` alone, 2.8 / 2.8 / 0.3 with its
group lowered too.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

AUTOGROUP = Path("/proc/self/autogroup")


def lower(nice: int) -> None:
    """Add ``nice`` to this process's niceness (inherited by what it execs and forks)."""
    if nice <= 0:
        return
    os.nice(nice)
    if os.getsid(0) == os.getpid():  # it leads its own session: the group is only itself
        with contextlib.suppress(OSError):  # no autogroups here (other OS, or disabled)
            AUTOGROUP.write_text(str(min(nice, 19)))
