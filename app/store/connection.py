"""How a process reaches Redis: one server by URL, whichever server the Sentinels name primary, or a
Redis Cluster (one slot per prefix: the prefix is a hash tag, docs/architecture.md says why).

Every process (web, ingest, alerts, archiver, simulator, the standards' listeners) gets its client
here, through :meth:`app.store.Store.from_settings`, so that a deployment on Sentinel is one setting
(``REDIS_SENTINELS``) and not a change in each command. With Sentinels, redis-py's
``SentinelConnectionPool`` asks them for the primary before each new connection and drops a
connection that finds its server demoted (``READONLY``) or gone: the next command of the same client
reaches the new primary. The callers' own retry (the workers' back-off, a page's "store unavailable")
covers the gap while the Sentinels agree — seconds, ``down-after-milliseconds`` plus the election.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import redis
from redis.backoff import NoBackoff
from redis.cluster import ClusterNode, RedisCluster
from redis.retry import Retry
from redis.sentinel import Sentinel, SentinelConnectionPool

from ..settings import is_cluster_url

if TYPE_CHECKING:
    from ..settings import Settings

#: What every client is given unless told otherwise (seconds). A short connect timeout matters most
#: on Sentinel: a dead primary's address is given up quickly and the Sentinels asked again.
DEFAULTS: dict[str, Any] = {
    "socket_timeout": 10,
    "socket_connect_timeout": 5,
    "health_check_interval": 30,
    # Producers write bytes: one that is not UTF-8 must not kill the reader. It comes back as a lone
    # surrogate (at no cost; hiredis honours this), the contract rejects it, and
    # ``text.encode("utf-8", "surrogateescape")`` gives the original bytes back.
    "encoding_errors": "surrogateescape",
    # No CLIENT SETINFO on each new connection: Redis 7.0's ACL cannot grant it (`+client|setinfo` is
    # refused there), so Redis 7.2 and Valkey would refuse it to every Basira user and log each refusal.
    "driver_info": None,
}
#: How long asking one Sentinel may take (seconds): a dead one must not hold up the others.
SENTINEL_TIMEOUT_S = 1.0


def connect(url: str, cluster: bool = False, **options: Any) -> redis.Redis:
    """A client for ``url`` (``redis://``, ``rediss://`` or ``unix://``), answering in ``str``; a
    Redis Cluster client for a ``redis+cluster://`` (``rediss+cluster://``) URL or with ``cluster``.

    redis-py uses hiredis to parse replies when it is installed, which makes stream reads several
    times faster; it is a dependency for that reason.
    """
    if is_cluster_url(url) or cluster:
        url = url.replace("+cluster://", "://", 1)
        kwargs = {k: v for k, v in {**DEFAULTS, **options}.items() if k != "health_check_interval"}
        return RedisCluster.from_url(url, decode_responses=True, **kwargs)  # type: ignore[return-value]
    return redis.Redis.from_url(url, decode_responses=True, **{**DEFAULTS, **options})


def connect_sentinel(
    sentinels: list[tuple[str, int]],
    master: str,
    *,
    username: str | None = None,
    password: str | None = None,
    sentinel_username: str | None = None,
    sentinel_password: str | None = None,
    **options: Any,
) -> redis.Redis:
    """A client, answering in ``str``, for the primary the ``sentinels`` name for ``master``; it
    follows a failover by itself (see the module's docstring). ``username``/``password`` sign in to
    the Redis servers, ``sentinel_*`` to the Sentinels (which may have none)."""
    sentinel_kwargs: dict[str, Any] = {"socket_timeout": SENTINEL_TIMEOUT_S,
                                       "socket_connect_timeout": SENTINEL_TIMEOUT_S}
    if sentinel_username:
        sentinel_kwargs["username"] = sentinel_username
    if sentinel_password:
        sentinel_kwargs["password"] = sentinel_password
    manager = Sentinel(sentinels, sentinel_kwargs=sentinel_kwargs)
    kwargs = {**DEFAULTS, **options, "decode_responses": True}
    if username is not None:
        kwargs["username"] = username
    if password is not None:
        kwargs["password"] = password
    return manager.master_for(master, **kwargs)


def connect_settings(settings: Settings) -> redis.Redis:
    """The client ``settings`` name: through the Sentinels when ``REDIS_SENTINELS`` is set, else
    ``REDIS_URL``; signed in as ``redis_username`` (each process runs as its own ACL user,
    ``deploy/users.acl``, whatever the shared URL says)."""
    password = settings.redis_password.get_secret_value() if settings.redis_password else None
    if settings.sentinel_addresses:
        sentinel_password = (settings.redis_sentinel_password.get_secret_value()
                             if settings.redis_sentinel_password else None)
        return connect_sentinel(
            settings.sentinel_addresses, settings.redis_master,
            username=settings.redis_username, password=password,
            sentinel_username=settings.redis_sentinel_username, sentinel_password=sentinel_password,
        )
    if problem := configuration_problem(settings):
        raise ValueError(problem)
    if on_cluster(settings):
        credentials = {k: v for k, v in (("username", settings.redis_username), ("password", password)) if v}
        return connect(settings.redis_url, cluster=True, **credentials)
    client = connect(settings.redis_url)
    use_credentials(client, settings.redis_username, password)
    return client


def on_cluster(settings: Settings) -> bool:
    """Whether ``settings`` name a Redis Cluster (``REDIS_CLUSTER=1`` or a ``redis+cluster://`` URL)."""
    return settings.on_cluster


def configuration_problem(settings: Settings) -> str | None:
    """What stops ``settings`` from reaching a Redis, in words for the operator; ``None`` when nothing."""
    if not settings.redis_configured:
        return "no Redis configured: set REDIS_URL or REDIS_SENTINELS, or use `python -m app demo`"
    if on_cluster(settings) and not is_hash_tagged(settings.stream_prefix):
        return ("on Redis Cluster the prefix must be a hash tag, so that every key of a transaction is in "
                f"one slot: set BASIRA_STREAM_PREFIX={{{settings.stream_prefix}}} (producers then write "
                f"{{{settings.stream_prefix}}}:incidents …)")
    return None


def is_hash_tagged(prefix: str) -> bool:
    """Whether ``prefix`` starts with a Redis Cluster hash tag (``{sa}``): every key under it is in the
    tag's slot."""
    return prefix.startswith("{") and prefix.find("}") > 1


def server_time(client: redis.Redis, key: str) -> tuple[int, int]:
    """Redis's ``TIME`` (seconds, microseconds) — on Redis Cluster the clock of the node that holds
    ``key``, the one whose scripts score the changes under it."""
    if isinstance(client, RedisCluster):
        seconds, micros = client.time(target_nodes=client.get_node_from_key(key))
    else:
        seconds, micros = client.time()
    return int(seconds), int(micros)


def use_credentials(client: redis.Redis, username: str | None, password: str | None) -> None:
    """Sign ``client`` in as ``username`` with ``password`` (its Redis ACL user), in place of any the
    URL names.

    ``None`` leaves the URL's own value (or none). Takes effect for every connection the client
    opens from now on; call it before the first command.
    """
    kwargs = client.connection_pool.connection_kwargs
    if username is not None:
        kwargs["username"] = username
    if password is not None:
        kwargs["password"] = password


def clone_client(client: redis.Redis, *, decode: bool | None = None, max_connections: int | None = None,
                 retry: bool = True) -> redis.Redis:
    """A client with a pool of its own on the same server as ``client`` — or the same Sentinel-named
    primary — signed in the same way; ``decode`` False answers in ``bytes`` (built answers may be
    gzip), ``max_connections`` caps its pool (1: every command on one connection).

    ``retry`` False: a command that meets a broken connection fails rather than being sent again by
    redis-py. A transaction whose reply was lost may have run (and reached a replica): sent again, it
    would run twice; its caller knows better (the ingest worker re-reads what it holds unacknowledged)."""
    if isinstance(client, RedisCluster):
        manager = client.nodes_manager
        kwargs = dict(manager.connection_kwargs)
        if decode is not None:
            kwargs["decode_responses"] = decode
        nodes = [ClusterNode(node.host, node.port) for node in manager.startup_nodes.values()]
        if max_connections is not None:
            kwargs["max_connections"] = max_connections  # per node
        if not retry:
            kwargs["retry"] = Retry(NoBackoff(), 0)
        return RedisCluster(startup_nodes=nodes, **kwargs)  # type: ignore[return-value]
    pool = client.connection_pool
    kwargs = dict(pool.connection_kwargs)
    if decode is not None:
        kwargs["decode_responses"] = decode
    if not retry:
        kwargs["retry"] = Retry(NoBackoff(), 0)
    if isinstance(pool, SentinelConnectionPool):
        kwargs.pop("connection_pool", None)  # the pool's own back-reference, made anew below
        return redis.Redis(connection_pool=SentinelConnectionPool(
            pool.service_name, pool.sentinel_manager, connection_class=pool.connection_class,
            is_master=pool.is_master, max_connections=max_connections, **kwargs))
    return redis.Redis(connection_pool=redis.ConnectionPool(
        connection_class=pool.connection_class, max_connections=max_connections, **kwargs))


def bytes_client(client: redis.Redis) -> redis.Redis:
    """A client on the same server as ``client`` answering in ``bytes``."""
    return clone_client(client, decode=False)


class EvalScript:
    """A Lua script sent whole with ``EVAL`` each call, for Redis Cluster: redis-py's cluster transactions
    do not load scripts first, and a node promoted in a failover has an empty script cache, so an
    ``EVALSHA`` inside ``MULTI`` could fail there while the transaction's other commands (its ``XACK``)
    ran. Redis keeps the compiled script by its hash all the same; what is sent again is the text."""

    def __init__(self, client: redis.Redis, source: str) -> None:
        self.client = client
        self.script = source

    def __call__(self, keys: list[str] | None = None, args: list[Any] | None = None,
                 client: Any = None) -> Any:
        keys, args = list(keys or []), list(args or [])
        # execute_command, not eval(): a cluster pipeline's eval() refuses to queue
        return (client or self.client).execute_command("EVAL", self.script, len(keys), *keys, *args)


def register_script(client: redis.Redis, source: str) -> Any:
    """``client.register_script(source)`` (``EVALSHA``, loaded when missing), or an :class:`EvalScript`
    on Redis Cluster; either is called as ``script(keys=…, args=…, client=pipe)``."""
    if isinstance(client, RedisCluster):
        return EvalScript(client, source)
    return client.register_script(source)
