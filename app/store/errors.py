"""The store's two errors: what callers catch instead of redis's exception types.

* :class:`StoreUnavailable` — the store could not do what was asked: Redis unreachable, timed out, or
  it refused the command. Pages, the API and the feed catch this one and show "store unavailable".
* :class:`StoreRefused` (a :class:`StoreUnavailable`) — Redis answered with an error. ``systemic`` says
  whether the refusal is about Redis itself (memory, permissions, failover, loading…) or about what it
  was given (a script failing on a value): the ingest worker backs off on the first and isolates the
  entry that caused the second (:func:`is_systemic`).

Every part of the store raises these (:func:`guarded`); ``error.__cause__`` and ``error.cause`` keep
redis's original.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

import redis

#: Redis refusals that say nothing about the data (memory, permissions, failover, loading…).
SYSTEMIC_ERRORS = ("OOM", "NOPERM", "NOAUTH", "WRONGPASS", "READONLY", "LOADING", "BUSY", "MASTERDOWN",
                   "MISCONF", "NOREPLICAS", "TRYAGAIN", "CLUSTERDOWN", "EXECABORT")
#: redis-py's own classes for some of those refusals: it takes the code off their message.
SYSTEMIC_CLASSES = (redis.exceptions.OutOfMemoryError, redis.exceptions.NoPermissionError,
                    redis.exceptions.ReadOnlyError, redis.exceptions.ExecAbortError,
                    redis.exceptions.TryAgainError, redis.exceptions.ClusterDownError)
#: What redis-py and the socket layer raise.
REDIS_ERRORS = (redis.RedisError, OSError)

C = TypeVar("C", bound=type)


class StoreUnavailable(Exception):
    """Redis could not be reached, timed out, or refused: nothing the caller can act on but waiting.

    ``cause`` is redis's (or the socket's) original error."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.cause = cause


class StoreRefused(StoreUnavailable):
    """Redis answered a command with an error (redis's ``ResponseError``). ``systemic`` is true when the
    refusal is about Redis (``OOM``, ``NOPERM``, ``READONLY``…, :data:`SYSTEMIC_ERRORS`), false when it is
    about what it was given (a script failing on a value)."""

    @property
    def systemic(self) -> bool:
        return _systemic_refusal(self.cause)


def _systemic_refusal(error: BaseException) -> bool:
    # By class, or by the code in the message: a script's error carries the refusal inside its own
    # ("ERR Error running script … OOM command not allowed …").
    return isinstance(error, SYSTEMIC_CLASSES) or any(code in str(error) for code in SYSTEMIC_ERRORS)


def translate(error: BaseException) -> StoreUnavailable:
    """The store's error for redis's (or the socket's) ``error``: :class:`StoreRefused` for a refusal,
    else :class:`StoreUnavailable`; one of the store's own is returned as is."""
    if isinstance(error, StoreUnavailable):
        return error
    if isinstance(error, redis.ResponseError):
        return StoreRefused(error)
    return StoreUnavailable(error)


def is_systemic(error: BaseException) -> bool:
    """True for a failure of Redis or the connection rather than of something in an entry: the store
    could not be reached, or refused for a reason of its own. An error with an ``error`` attribute
    (:class:`~app.store.CommitRefused`) is judged by the error it carries."""
    error = getattr(error, "error", None) or error
    if isinstance(error, StoreUnavailable):
        error = error.cause
    if isinstance(error, redis.ConnectionError | redis.TimeoutError | OSError):
        return True
    return isinstance(error, redis.ResponseError) and _systemic_refusal(error)


def _guard(method: Callable[..., Any]) -> Callable[..., Any]:
    if inspect.isgeneratorfunction(method):
        @functools.wraps(method)
        def generator(*args: Any, **kwargs: Any) -> Any:
            try:
                yield from method(*args, **kwargs)
            except REDIS_ERRORS as error:
                raise translate(error) from error
        return generator

    @functools.wraps(method)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except REDIS_ERRORS as error:
            raise translate(error) from error
    return call


def guarded(cls: C) -> C:
    """Make every public method of a part raise the store's errors instead of redis's (one ``try`` per
    call, free unless something is raised; nothing is added inside loops)."""
    for name, value in list(vars(cls).items()):
        if not name.startswith("_") and inspect.isfunction(value):
            setattr(cls, name, _guard(value))
    return cls
