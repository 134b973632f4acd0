"""What waits to be sent to one tab: its replies in order, and only its newest view.

The session thread produces JSON text; the event loop sends it as fast as the tab reads. A
tab that does not read (a frozen page, or a script that only sends) must not make the
server hold more and more text, so an :class:`Outbox`:

- keeps **one** view update: a newer one replaces the one still waiting (only the newest
  view matters; the worker is told, so it counts it out of its frames in flight), and
  likewise one message of each other streamed kind (the live unit views), sent after the
  view;
- sends replies (answers to the page's messages) before the waiting view, in order, and
  counts their characters: past ``max_chars`` it is *overflowing*, and the server closes
  the tab (one animation, the largest reply, is about 32 million characters at most);
- lets the server see how long the current send has waited for the tab to read
  (:meth:`stalled_for`): past a stated time the tab is closed.

Everything here runs on the event loop's thread.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable

__all__ = ["Outbox", "MAX_PENDING_CHARS"]

# Replies that may wait for one tab: an animation (the largest reply, at most 6 million
# float32 numbers, 32 million characters as base64) plus the small replies around it.
MAX_PENDING_CHARS = 48 * 2**20


class Outbox:
    """Replies in order, then the newest view update and the newest message of each other
    streamed kind; bounded in characters.

    Parameters
    ----------
    max_chars : int
        Characters of replies that may wait; past it :attr:`overflowing` turns true.
    on_frame_dropped : callable(), optional
        Called when a waiting view update is replaced by a newer one.
    clock : callable() -> float
        The clock :meth:`stalled_for` measures with (the event loop's time by default).
    """

    def __init__(
        self,
        *,
        max_chars: int = MAX_PENDING_CHARS,
        on_frame_dropped: Callable[[], None] | None = None,
        clock: Callable[[], float] | None = None,
    ):
        self.max_chars = max_chars
        self.on_frame_dropped = on_frame_dropped
        self.clock = clock
        self.replies: deque[str] = deque()
        self.reply_chars = 0
        self.frame: str | None = None
        self.latest: dict[str, str] = {}  # the newest message of each other streamed kind
        self.frames_dropped = 0
        self.overflowing = False
        self.closed = False
        self._ready = asyncio.Event()
        self._sending_since: float | None = None

    def _now(self) -> float:
        return self.clock() if self.clock else asyncio.get_running_loop().time()

    def put(self, text: str, is_frame: bool | str) -> None:
        """Queue one message: a reply (``is_frame`` false), a view update (true: it replaces
        the one waiting) or a streamed message of the kind ``is_frame`` names (a string, e.g.
        "unit_views": it replaces the one of that kind waiting)."""
        if self.closed:
            return
        if isinstance(is_frame, str):
            self.latest.pop(is_frame, None)  # the newer one goes to the end of the line
            self.latest[is_frame] = text
        elif is_frame:
            if self.frame is not None:
                self.frames_dropped += 1
                if self.on_frame_dropped is not None:
                    self.on_frame_dropped()
            self.frame = text
        else:
            self.replies.append(text)
            self.reply_chars += len(text)
            if self.reply_chars > self.max_chars:
                self.overflowing = True
        self._ready.set()

    async def get(self) -> tuple[str, bool]:
        """The next message to send and whether it is a view update (waits for one)."""
        while True:
            if self.replies:
                text = self.replies.popleft()
                self.reply_chars -= len(text)
                return text, False
            if self.frame is not None:
                text, self.frame = self.frame, None
                return text, True
            if self.latest:
                kind = next(iter(self.latest))
                return self.latest.pop(kind), False
            self._ready.clear()
            await self._ready.wait()

    def sending(self) -> None:
        """A send starts (it returns once the connection takes the text)."""
        self._sending_since = self._now()

    def sent(self) -> None:
        self._sending_since = None

    def stalled_for(self) -> float:
        """Seconds the current send has waited for the tab to read (0 when none waits)."""
        return 0.0 if self._sending_since is None else self._now() - self._sending_since

    @property
    def pending_chars(self) -> int:
        frame = len(self.frame) if self.frame is not None else 0
        return self.reply_chars + frame + sum(map(len, self.latest.values()))

    def close(self) -> None:
        """Drop everything waiting; later messages are ignored."""
        self.closed = True
        self.replies.clear()
        self.reply_chars = 0
        self.frame = None
        self.latest.clear()

    def __repr__(self) -> str:
        return (
            f"Outbox({len(self.replies)} replies, {self.reply_chars:,} characters, "
            f"view {'waiting' if self.frame is not None else 'none'}, "
            f"{len(self.latest)} other streamed messages, "
            f"{self.frames_dropped} views replaced)"
        )
