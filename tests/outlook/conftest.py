"""Fixtures of the Microsoft fakes for every test under tests/outlook."""

from tests.fakes.microsoft.fixtures import graph_http, ms_graph, ms_identity, ms_session, ms_tls

__all__ = ["graph_http", "ms_graph", "ms_identity", "ms_session", "ms_tls"]
