"""The suite's Redis Cluster topologies (``tests/redis_topology.py``) come up when a node's port is taken
between the moment it was found free and the moment the node binds it — by another test worker's
server or connection, which under load happened (issue 17: a node exited at once, and the test that
had asked for the cluster failed with it)."""

from __future__ import annotations

import socket

import pytest

from tests import redis_topology
from tests.redis_topology import ClusterTopology, cluster_port


def test_a_port_pair_is_clear_of_the_topologys_others() -> None:
    taken = {port for port in range(10_000, 32_001) if port % 2}  # the odd ones, node or bus
    for _ in range(20):
        port = cluster_port(taken)
        assert port % 2 == 0 and port + 10_000 not in taken


def test_a_node_whose_port_was_taken_is_given_another(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as held:  # the port the first node is given, held as a connection holds its own
        held.bind(("127.0.0.1", 0))
        busy = held.getsockname()[1]
        given = iter([busy])
        real = redis_topology.cluster_port
        monkeypatch.setattr(redis_topology, "cluster_port", lambda taken=(): next(given, None) or real(taken))
        topology = ClusterTopology(primaries=1)
        try:
            topology.start()
            ports = [server.port for server in topology.servers]
            assert busy not in ports and len(ports) == 2
            assert all(server.running for server in topology.servers)
            assert topology.healthy()
        finally:
            topology.stop()
