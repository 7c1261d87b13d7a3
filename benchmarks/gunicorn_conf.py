"""gunicorn settings for the suite's web servers (``--config python:benchmarks.gunicorn_conf``).

Dash sets itself up on the first request a process serves (``Dash._setup_server``), and marks that
done *before* it is: under a threaded worker, requests that arrive alongside the first one skip the
set-up and answer 500 for Dash's own scripts ("dash is not a registered library"). The suite loads
the app in the master (``--preload``) and serves it one request there, before any worker is forked,
so that every worker starts set up. Both apps, Basira and the baseline, get the same treatment.
"""

from __future__ import annotations

from typing import Any


def when_ready(server: Any) -> None:
    """gunicorn hook: the master has loaded the app and is about to fork its workers."""
    wsgi = server.app.wsgi()
    with wsgi.test_client() as client:
        client.get("/")
