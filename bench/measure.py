"""Measurement helpers shared by the bench scripts (run as ``python bench/<script>.py``, so this folder is on the
path): peak resident memory of one call in a forked child."""

from __future__ import annotations

import multiprocessing as mp
import os
import resource


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _child(queue, fn, args):  # pragma: no cover - runs in the forked child
    start = _rss()
    try:
        fn(*args)
        queue.put(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - start)
    except Exception as exc:  # noqa: BLE001 - reported as a missing number
        queue.put(f"error: {exc}")


def peak_mb(fn, *args):
    """Peak resident memory of fn(*args) above the process's size when it starts, in a forked child (MB); None when
    the call raised. The child inherits everything already imported and compiled, which is not counted."""
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(queue, fn, args))
    proc.start()
    out = queue.get()
    proc.join()
    return round(out / 2**20, 1) if isinstance(out, (int, float)) else None
