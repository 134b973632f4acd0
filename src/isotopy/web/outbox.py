"""What waits to be sent to one tab: its replies in order, and only its newest view (and
newest unit views).

The session thread produces JSON text; the event loop sends it as fast as the tab reads. A
tab that does not read (a frozen page, or a script that only sends) must not make the
server hold more and more text, so an :class:`Outbox`:

- keeps **one** view update: a newer one replaces the one still waiting (only the newest
  view matters; the worker is told, so it counts it out of its frames in flight), and
  likewise one message of each other streamed kind (the live unit views); the streamed
  messages waiting go in the order they were made (a replaced one takes the newer's place);
- sends replies (answers to the page's messages) before the streamed ones, in order, and
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
        # the newest message of each streamed kind ("view" for view updates), oldest first
        self.latest: dict[str, str] = {}
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
        if is_frame:
            kind = is_frame if isinstance(is_frame, str) else "view"
            if self.latest.pop(kind, None) is not None and kind == "view":
                self.frames_dropped += 1
                if self.on_frame_dropped is not None:
                    self.on_frame_dropped()
            self.latest[kind] = text  # at the end: streamed messages go in the order made
        else:
            self.replies.append(text)
            self.reply_chars += len(text)
            if self.reply_chars > self.max_chars:
                self.overflowing = True
        self._ready.set()

    @property
    def frame(self) -> str | None:
        """The view update waiting to be sent, if any."""
        return self.latest.get("view")

    async def get(self) -> tuple[str, bool]:
        """The next message to send and whether it is a view update (waits for one): the
        replies first, then the streamed messages in the order they were made."""
        while True:
            if self.replies:
                text = self.replies.popleft()
                self.reply_chars -= len(text)
                return text, False
            if self.latest:
                kind = next(iter(self.latest))
                return self.latest.pop(kind), kind == "view"
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
        return self.reply_chars + sum(map(len, self.latest.values()))

    def close(self) -> None:
        """Drop everything waiting; later messages are ignored."""
        self.closed = True
        self.replies.clear()
        self.reply_chars = 0
        self.latest.clear()

    def __repr__(self) -> str:
        return (
            f"Outbox({len(self.replies)} replies, {self.reply_chars:,} characters, "
            f"view {'waiting' if self.frame is not None else 'none'}, "
            f"{len(self.latest)} streamed messages waiting, "
            f"{self.frames_dropped} views replaced)"
        )
