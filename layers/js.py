"""Names of the browser functions in ``assets/*.js`` that dash-leaflet's functional props call.

dash-leaflet resolves a ``{"variable": "a.b.fn"}`` prop by walking the dotted path under
``window``. :class:`Namespace` builds those props, so no module writes the dict by hand, and
records every name it built (:data:`BUILT`), which ``tests/test_js_names.py`` checks against the
functions the assets define::

    BASIRA = Namespace("basira")
    BASIRA("portMarker")              # {"variable": "basira.portMarker"}
    Namespace("basira", "command")("inFocus")  # {"variable": "basira.command.inFocus"}

Build names at import time (module constants), so importing the layers and pages records them all.
"""

from __future__ import annotations

#: Every name a :class:`Namespace` built, e.g. ``"basira.portMarker"``.
BUILT: set[str] = set()


class Namespace:
    """A namespace under ``window`` (``Namespace("basira", "command")`` → ``window.basira.command``)."""

    def __init__(self, *path: str) -> None:
        if not path or not all(part.isidentifier() for part in path):
            raise ValueError(f"not a JS namespace path: {path!r}")
        self.path = ".".join(path)

    def __call__(self, name: str) -> dict[str, str]:
        """The functional prop naming the function ``name`` in this namespace."""
        if not name.isidentifier():
            raise ValueError(f"not a JS function name: {name!r}")
        full = f"{self.path}.{name}"
        BUILT.add(full)
        return {"variable": full}

    def __repr__(self) -> str:
        return f"Namespace({self.path!r})"


#: The app's one namespace, ``window.basira``.
BASIRA = Namespace("basira")
