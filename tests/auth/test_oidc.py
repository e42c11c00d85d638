"""ID-token verification and the code flow against the fake identity providers, over HTTP.

Every refusal the issue names is proved on a token the fake really issued through
the whole flow (authorize -> code -> token endpoint), with one thing wrong.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from blocker.auth.oidc import IdentityRefused, OidcClient, OidcProvider, PendingSignIn
from tests.fakes.oidc import TENANT_ID, FakeOidc, FakePerson, SigningKey, running_idp
from tests.support.clock import TEST_NOW

REDIRECT = "http://127.0.0.1:9/auth/{kind}/callback"


@pytest.fixture(params=["google", "microsoft"])
def idp(request: pytest.FixtureRequest) -> Iterator[FakeOidc]:
    with running_idp(request.param, lambda: TEST_NOW) as fake:
        fake.state.redirect_uris.add(REDIRECT.format(kind=request.param))
        yield fake


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as client:
        yield client


def client_for(fake: FakeOidc, http: httpx.Client, **kw: float) -> OidcClient:
    provider = OidcProvider(
        fake.state.kind,
        fake.state.kind.title(),
        fake.issuer(),
        fake.state.client_id,
        fake.state.client_secret,
    )
    return OidcClient(provider, clock=lambda: TEST_NOW, http=http, **kw)


def authorize(client: OidcClient, fake: FakeOidc, http: httpx.Client) -> tuple[PendingSignIn, str]:
    """Play the browser: to the provider and back; (what we remembered, the code)."""
    url, pending = client.start(REDIRECT.format(kind=fake.state.kind))
    reply = http.get(url)
    assert reply.status_code == 302, reply.text
    back = urlsplit(reply.headers["location"])
    query = parse_qs(back.query)
    assert f"{back.scheme}://{back.netloc}{back.path}" == pending.redirect_uri
    assert query["state"] == [pending.state]
    return pending, query["code"][0]


def sign_in(client: OidcClient, fake: FakeOidc, http: httpx.Client) -> str:
    pending, code = authorize(client, fake, http)
    return client.finish(pending, code).email


def test_a_sign_in_through_the_whole_flow_names_the_person(
    idp: FakeOidc, http: httpx.Client
) -> None:
    idp.state.person = FakePerson("Ann.Lee@Example.com")
    client = client_for(idp, http)
    pending, code = authorize(client, idp, http)
    identity = client.finish(pending, code)
    assert identity.email == "ann.lee@example.com"
    assert identity.subject == idp.state.person.sub
    assert identity.claims["nonce"] == pending.nonce
    if idp.state.kind == "microsoft":  # the tenant's issuer, from the {tenantid} template
        assert identity.claims["iss"].endswith(f"/{TENANT_ID}/v2.0")
    assert idp.state.hits["token"] == 1
    assert idp.state.hits["jwks"] == 1


@pytest.mark.parametrize(
    ("override", "words"),
    [
        ({"iss": "https://accounts.example.net"}, "issuer"),
        ({"aud": "another-client"}, "audience"),
        ({"aud": ["fake-client-id", "another-client"], "azp": "another-client"}, "azp"),
        ({"nonce": "a-nonce-of-another-sign-in"}, "nonce"),
    ],
    ids=["wrong-issuer", "wrong-audience", "other-party", "nonce-mismatch"],
)
def test_claims_that_do_not_match_are_refused(
    idp: FakeOidc, http: httpx.Client, override: dict[str, object], words: str
) -> None:
    idp.state.claims_override = override
    client = client_for(idp, http)
    with pytest.raises(IdentityRefused, match="(?i)" + words):
        sign_in(client, idp, http)


def test_an_expired_token_is_refused(idp: FakeOidc, http: httpx.Client) -> None:
    now = int(TEST_NOW.timestamp())
    idp.state.claims_override = {"iat": now - 7200, "exp": now - 3600}
    with pytest.raises(IdentityRefused, match="expired"):
        sign_in(client_for(idp, http), idp, http)


def test_a_token_from_the_future_is_refused(idp: FakeOidc, http: httpx.Client) -> None:
    later = int((TEST_NOW + timedelta(hours=2)).timestamp())
    idp.state.claims_override = {"iat": later, "exp": later + 3600}
    with pytest.raises(IdentityRefused, match="not valid yet"):
        sign_in(client_for(idp, http), idp, http)


def test_a_forged_signature_under_a_published_kid_is_refused(
    idp: FakeOidc, http: httpx.Client
) -> None:
    idp.state.sign_with = SigningKey.new()
    idp.state.header_kid = idp.state.keys[0].kid
    with pytest.raises(IdentityRefused, match=r"[Ss]ignature"):
        sign_in(client_for(idp, http), idp, http)


def test_an_unknown_kid_is_looked_up_once_more_then_refused(
    idp: FakeOidc, http: httpx.Client
) -> None:
    client = client_for(idp, http, jwks_cooldown_seconds=0)
    assert sign_in(client, idp, http)  # keys fetched and cached
    assert idp.state.hits["jwks"] == 1
    idp.state.sign_with = SigningKey.new()  # never published
    with pytest.raises(IdentityRefused, match="no such signing key"):
        sign_in(client, idp, http)
    assert idp.state.hits["jwks"] == 2  # one refetch for the unknown kid, then refused


def test_unknown_kids_within_the_cooldown_do_not_refetch(idp: FakeOidc, http: httpx.Client) -> None:
    """The default cooldown (30 s from the last fetch): made-up kids cannot flood the
    provider; the test runs well inside it (only fetch counts are asserted)."""
    client = client_for(idp, http)
    assert sign_in(client, idp, http)
    idp.state.sign_with = SigningKey.new()
    for _ in range(3):
        with pytest.raises(IdentityRefused, match="no such signing key"):
            sign_in(client, idp, http)
    assert idp.state.hits["jwks"] == 1


def test_a_rotated_key_is_fetched_when_a_token_names_it(idp: FakeOidc, http: httpx.Client) -> None:
    client = client_for(idp, http, jwks_cooldown_seconds=0)
    assert sign_in(client, idp, http)
    idp.state.rotate()
    assert sign_in(client, idp, http)
    assert idp.state.hits["jwks"] == 2
    assert sign_in(client, idp, http)
    assert idp.state.hits["jwks"] == 2  # cached again


def test_an_unverified_google_address_is_refused(http: httpx.Client) -> None:
    with running_idp("google", lambda: TEST_NOW) as fake:
        fake.state.redirect_uris.add(REDIRECT.format(kind="google"))
        fake.state.person = FakePerson("ann@example.com", email_verified=False)
        with pytest.raises(IdentityRefused, match="not verified"):
            sign_in(client_for(fake, http), fake, http)


def test_the_fake_holds_the_code_to_the_specs(idp: FakeOidc, http: httpx.Client) -> None:
    """Single-use code, PKCE verifier checked, redirect_uri checked on both ends."""
    client = client_for(idp, http)
    pending, code = authorize(client, idp, http)
    with pytest.raises(IdentityRefused, match="invalid_grant"):
        client.finish(replace(pending, code_verifier="not-the-verifier-" + "x" * 40), code)
    pending, code = authorize(client, idp, http)
    with pytest.raises(IdentityRefused, match="invalid_grant"):
        client.finish(replace(pending, redirect_uri="http://127.0.0.1:9/elsewhere"), code)
    pending, code = authorize(client, idp, http)
    assert client.finish(pending, code).email
    with pytest.raises(IdentityRefused, match="invalid_grant"):
        client.finish(pending, code)  # the same code twice
    url, _ = client.start("http://127.0.0.1:9/not-registered")
    assert http.get(url).status_code == 400


def test_issuers_must_be_https_off_loopback() -> None:
    provider = OidcProvider("google", "Google", "http://accounts.example.com", "id", "secret")
    with pytest.raises(IdentityRefused, match="https"):
        OidcClient(provider, clock=lambda: TEST_NOW)


def test_a_discovery_document_naming_another_issuer_is_refused(http: httpx.Client) -> None:
    with running_idp("microsoft", lambda: TEST_NOW) as fake:
        provider = OidcProvider("microsoft", "Microsoft", fake.issuer("organizations"), "id", "s")
        assert OidcClient(provider, clock=lambda: TEST_NOW, http=http).discovery()
        # a tenant's document names that tenant: asked as another issuer, it is refused
        elsewhere = replace(provider, issuer=fake.issuer(TENANT_ID) + "/x/..")
        with pytest.raises(IdentityRefused, match="names issuer"):
            OidcClient(elsewhere, clock=lambda: TEST_NOW, http=http).discovery()


def test_a_microsoft_email_claim_counts_only_when_its_domain_is_verified(
    http: httpx.Client,
) -> None:
    """Any tenant can set any ``email`` on its users (the "nOAuth" trap): without
    ``xms_edov`` the sign-in name, whose domain the tenant verified, is the address."""
    with running_idp("microsoft", lambda: TEST_NOW) as fake:
        fake.state.redirect_uris.add(REDIRECT.format(kind="microsoft"))
        fake.state.claims_override = {
            "email": "boss@example.com",
            "preferred_username": "mallory@evil.onmicrosoft.com",
        }
        client = client_for(fake, http)
        assert sign_in(client, fake, http) == "mallory@evil.onmicrosoft.com"
        fake.state.claims_override["xms_edov"] = True
        assert sign_in(client, fake, http) == "boss@example.com"


def test_google_may_name_its_issuer_without_the_scheme(http: httpx.Client) -> None:
    """Google's docs: ``iss`` is ``https://accounts.google.com`` or ``accounts.google.com``."""
    with running_idp("google", lambda: TEST_NOW) as fake:
        fake.state.redirect_uris.add(REDIRECT.format(kind="google"))
        fake.state.claims_override = {"iss": fake.issuer().split("://", 1)[1]}
        assert sign_in(client_for(fake, http), fake, http) == "ann@example.com"
        fake.state.claims_override = {"iss": "ftp://" + fake.issuer().split("://", 1)[1]}
        with pytest.raises(IdentityRefused, match=r"(?i)issuer"):
            sign_in(client_for(fake, http), fake, http)
