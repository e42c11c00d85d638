"""pytest fixtures serving the Microsoft fakes on loopback; import them into a test module.

``ms_identity`` runs over HTTPS with a trustme CA (msal refuses anything else) and
``ms_session`` is the ``requests.Session`` msal must use to trust it: ``verify`` is
the CA file and ``trust_env`` is off so a CA bundle from the environment
(REQUESTS_CA_BUNDLE) cannot override it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import requests

from tests.fakes.microsoft.graph import FakeGraph
from tests.fakes.microsoft.identity import FakeIdentity
from tests.fakes.microsoft.server import TLSFiles, serve


@pytest.fixture(scope="session")
def ms_tls(tmp_path_factory: pytest.TempPathFactory) -> TLSFiles:
    return TLSFiles(Path(tmp_path_factory.mktemp("ms-tls")))


@pytest.fixture
def ms_identity(ms_tls: TLSFiles) -> Iterator[FakeIdentity]:
    fake = FakeIdentity()
    with serve(fake.app, tls=ms_tls) as url:
        fake.base_url = url
        yield fake


@pytest.fixture
def ms_session(ms_tls: TLSFiles) -> Iterator[requests.Session]:
    session = requests.Session()
    session.trust_env = False
    session.verify = str(ms_tls.ca_file)
    yield session
    session.close()


@pytest.fixture
def ms_graph() -> Iterator[FakeGraph]:
    fake = FakeGraph()
    with serve(fake.app) as url:
        fake.base_url = url
        yield fake


@pytest.fixture
def graph_http() -> Iterator[httpx.Client]:
    with httpx.Client(trust_env=False, timeout=20) as client:
        yield client
