"""Who holds the hub's event loop: a sampling attribution, loaded into the hub process by the
load benchmark's `attribute` run (`c.JupyterHub` config imports this module and calls
`install`).

A daemon thread looks at the main thread's stack every ~2 ms (`sys._current_frames()`). When
the innermost frame is the selector's `select`, the loop is idle (waiting for I/O, GIL
released); otherwise it is running callbacks, and the sample goes to the *owner* of that
stack: JupyterHub's database when SQLAlchemy or sqlite3 is anywhere on it (a commit holds the
loop wherever it was called from), else the innermost frame of a named package (prevalidate,
kubespawner, kubernetes_asyncio, jupyterhub, tornado): the standard library and other libraries
(cachetools, prometheus_client, traitlets, ...) count for the package that called them. A
stack with none of them is "other libraries" or, with only the standard library, the event loop
itself. The walk stops at the loop's `_run_once`: what lies beyond it (JupyterHub's launch)
is under every callback. A run of busy samples with no idle one between them is one stretch the loop
never returned to `select` — what JupyterHub's lag probe feels as lateness.

SIGUSR2 marks the burst's start (samples before it are dropped) and then its end, when the
samples are written as JSON lines `[t, owner]` to the path given. The thread's cost: one
`_current_frames()` and a stack walk per sample, ~1% of a core; it takes the GIL at most every
switch interval (5 ms), so samples are 2–5 ms apart and each is weighted by the time to the
next.
"""

from __future__ import annotations

import json
import signal
import sys
import sysconfig
import threading
import time
from types import FrameType

_STDLIB = sysconfig.get_paths()["stdlib"]
_OWNERS = (  # (owner, path fragment) of the packages named in the attribution
    ("prevalidate", "/prevalidate/"),
    ("kubespawner", "/kubespawner/"),
    ("kubernetes_asyncio", "/kubernetes_asyncio/"),
    ("jupyterhub", "/jupyterhub/"),
    ("tornado", "/tornado/"),
)
DATABASE = "JupyterHub's database (SQLAlchemy, sqlite)"
IDLE = "idle"


def owner_of(frame: FrameType | None) -> str:
    """The owner of the main thread's work at this frame (see the module docstring)."""
    if frame is None:
        return IDLE
    if frame.f_code.co_name == "select" and frame.f_code.co_filename.endswith("selectors.py"):
        return IDLE
    owner: str | None = None
    in_a_library = False
    walk: FrameType | None = frame
    while walk is not None and not _is_the_loop(walk):
        path = walk.f_code.co_filename
        if "sqlalchemy" in path or path.endswith("sqlite3/dbapi2.py"):
            return DATABASE
        if owner is None:
            owner = next((name for name, part in _OWNERS if part in path), None)
            in_a_library = in_a_library or not (path.startswith(_STDLIB) or path.startswith("<"))
        walk = walk.f_back
    if owner is not None:
        return owner
    return "other libraries" if in_a_library else "the event loop itself (asyncio)"


def _is_the_loop(frame: FrameType) -> bool:
    """The event loop's own iteration: the frames beyond it (run_forever, JupyterHub's launch)
    are under every callback and say nothing of who runs now."""
    return frame.f_code.co_name == "_run_once" and frame.f_code.co_filename.endswith("base_events.py")


class Sampler(threading.Thread):
    def __init__(self, path: str, interval: float = 0.002) -> None:
        super().__init__(daemon=True, name="loop-sampler")
        self.path, self.interval = path, interval
        self.main_id = threading.main_thread().ident
        self.samples: list[tuple[float, str]] = []
        self.recording = False

    def run(self) -> None:
        while True:
            time.sleep(self.interval)
            if self.recording:
                frame = sys._current_frames().get(self.main_id or 0)
                self.samples.append((time.monotonic(), owner_of(frame)))

    def mark(self, *_: object) -> None:
        """SIGUSR2: start recording; the second time, write the samples out."""
        if not self.recording:
            self.samples.clear()
            self.recording = True
            return
        self.recording = False
        with open(self.path, "w") as out:
            for t, owner in self.samples:
                out.write(json.dumps([round(t, 5), owner]) + "\n")


def install(path: str) -> None:
    sampler = Sampler(path)
    signal.signal(signal.SIGUSR2, sampler.mark)
    sampler.start()
