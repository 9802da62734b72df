"""One object per event loop: asyncio objects (futures, locks, connections) belong to the loop
that made them, and a process may run several loops (tests, servers with a loop per worker)."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class PerLoop(Generic[T]):
    """``get()`` returns this loop's object, made by ``factory`` on first use; dropped with
    the loop."""

    def __init__(self, factory: Callable[[], T]) -> None:
        self._factory = factory
        self._items: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, T] = (
            weakref.WeakKeyDictionary()
        )

    def get(self) -> T:
        loop = asyncio.get_running_loop()
        found = self._items.get(loop)
        if found is None:
            found = self._items[loop] = self._factory()
        return found
