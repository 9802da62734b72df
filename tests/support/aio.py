"""Run a coroutine to completion from a synchronous test, whatever the main thread is doing.

Why a thread: when the browser tests run in the same session, Playwright's sync API keeps an
event loop running in the main thread, and ``asyncio.run()`` refuses to start there. A thread
of its own has no loop, so the coroutine gets a fresh one either way.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="test-asyncio") as pool:
        return pool.submit(asyncio.run, coroutine).result()
