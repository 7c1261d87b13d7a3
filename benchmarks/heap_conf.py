"""gunicorn settings for :mod:`benchmarks.heap`: the suite's (:mod:`benchmarks.gunicorn_conf`), the
first worker traced from its fork and the second only measured (:func:`benchmarks.heap.start_tracing`):
tracing slows a worker many times over, so the untraced one serves most of the load, at its real pace,
and gives the figures; the traced one names the lines."""

from __future__ import annotations

from typing import Any

from .gunicorn_conf import when_ready

__all__ = ["post_fork", "when_ready"]


def post_fork(server: Any, worker: Any) -> None:
    """gunicorn hook: in the worker, just forked."""
    from .heap import start_tracing

    start_tracing("web", trace=worker.age == 1)
