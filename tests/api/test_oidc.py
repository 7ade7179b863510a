"""Sign-in through the agency's identity provider: the pages' code flow against a local
OpenID Connect provider, the provider's JWTs on the API, and the settings."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import RSAKey
from sqlalchemy import Engine
from sqlmodel import Session

from api.cli import EXIT_BAD_INPUT, main
from api.http.app import create_app
from api.pages import session as cookie
from api.services.audit import AuditQuery, query_audit
from api.services.oidc import (
    OidcConfigError,
    OidcSettings,
    Provider,
    TokenRejected,
    claim_values,
    parse_role_map,
    role_of,
    settings_from_env,
)
from tests.helpers.auth import bearer
from tests.helpers.oidc import CLIENT_ID, MockProvider, running_provider


@pytest.fixture(scope="module")
def provider() -> Iterator[MockProvider]:
    """The agency's identity provider, local."""
    with running_provider() as running:
        yield running


@pytest.fixture(scope="module")
def other_provider() -> Iterator[MockProvider]:
    """Another provider that knows the same people (another issuer, other keys)."""
    with running_provider() as running:
        yield running


def _client(engine: Engine, provider: Provider) -> TestClient:
    app = create_app(engine)
    app.state.oidc = provider
    return TestClient(app)


@pytest.fixture
def oidc_client(api_engine: Engine, provider: MockProvider) -> Iterator[TestClient]:
    """The application over the small agency, trusting the local provider."""
    with _client(api_engine, Provider(provider.settings())) as client:
        yield client


def _through_provider(client: TestClient, subject: str, next_page: str = "") -> Any:
    """Start the sign-in on our pages, choose ``subject`` on the provider's form as a person
    would (the provider's own authorization endpoint), and follow it back to our callback."""
    started = client.get(f"/pages/signin/oidc{next_page}", follow_redirects=False)
    assert started.status_code == 303
    authorize = started.headers["location"]
    asked = httpx2.URL(authorize).params
    assert asked["code_challenge_method"] == "S256" and asked["code_challenge"]
    assert asked["state"] and asked["nonce"] and "openid" in asked["scope"]
    form = httpx2.get(authorize)  # the provider's page with a button per person
    assert form.status_code == 200 and subject in form.text
    chosen = httpx2.post(authorize, data={"sub": subject})
    assert chosen.status_code == 302
    callback = chosen.headers["location"]
    assert callback.startswith("http://testserver/pages/signin/callback?")
    return client.get(callback.removeprefix("http://testserver"), follow_redirects=False)


# -- the pages ---------------------------------------------------------------------------------


def test_a_coordinator_signs_in_at_the_provider_and_lands_on_the_children_page(
    oidc_client: TestClient,
) -> None:
    """The code flow (PKCE, state, nonce) ends with a session whose role comes from the groups."""
    back = _through_provider(oidc_client, "coordinator-ann", "?next=/pages/children")
    assert back.status_code == 303, back.text
    assert back.headers["location"] == "/pages/children"
    assert cookie.FLOW_COOKIE not in oidc_client.cookies  # the flow's secrets are gone
    session_cookie = oidc_client.cookies.get(cookie.COOKIE)
    who = cookie.read_subject(session_cookie)
    assert who is not None and (who.role, who.subject) == ("coordinator", "coordinator-ann")
    page = oidc_client.get("/pages/children")
    assert page.status_code == 200
    assert "Signed in as oidc:coordinator-ann (placement coordinator)" in page.text


def test_a_recruiter_from_the_provider_is_refused_a_child_page(oidc_client: TestClient) -> None:
    """A group given as a single string maps too; the recruiter's role holds on the pages."""
    assert _through_provider(oidc_client, "recruiter-raul").status_code == 303
    assert oidc_client.get("/pages/gaps").status_code == 200
    assert oidc_client.get("/pages/children").status_code == 403


def test_a_person_whose_groups_map_to_no_role_is_refused_with_a_page(
    oidc_client: TestClient,
) -> None:
    """Signed in at the provider but in no mapped group: a 403 page saying so, no session."""
    back = _through_provider(oidc_client, "visitor-vera")
    assert back.status_code == 403
    assert "No role in fostermatch" in back.text
    assert "none of your groups there gives a role" in back.text
    assert cookie.COOKIE not in oidc_client.cookies
    assert oidc_client.get("/pages/children", follow_redirects=False).status_code == 303


def test_a_callback_with_another_state_signs_nobody_in(oidc_client: TestClient) -> None:
    """Login CSRF: a code arriving with a state this browser did not start is refused."""
    started = oidc_client.get("/pages/signin/oidc", follow_redirects=False)
    chosen = httpx2.post(started.headers["location"], data={"sub": "coordinator-ann"})
    callback = httpx2.URL(chosen.headers["location"])
    forged = f"/pages/signin/callback?code={callback.params['code']}&state=not-the-state"
    answer = oidc_client.get(forged, follow_redirects=False)
    assert answer.status_code == 400
    assert "was not started here" in answer.text
    assert cookie.COOKIE not in oidc_client.cookies
    oidc_client.get("/pages/signin/oidc", follow_redirects=False)  # a new flow cookie
    accented = oidc_client.get("/pages/signin/callback?code=c&state=%C3%A9")
    assert accented.status_code == 400  # a state with a non-ASCII letter: refused, not a 500


def test_a_callback_without_the_flow_cookie_signs_nobody_in(
    oidc_client: TestClient, provider: MockProvider
) -> None:
    """A code from another browser's sign-in (no flow cookie here) is refused."""
    started = oidc_client.get("/pages/signin/oidc", follow_redirects=False)
    chosen = httpx2.post(started.headers["location"], data={"sub": "coordinator-ann"})
    oidc_client.cookies.clear()
    answer = oidc_client.get(chosen.headers["location"].removeprefix("http://testserver"))
    assert answer.status_code == 400
    assert cookie.COOKIE not in oidc_client.cookies


def test_the_provider_saying_no_is_a_page_not_a_500(oidc_client: TestClient) -> None:
    """The person pressed 'Deny' at the provider: its error code is shown, nobody signed in."""
    started = oidc_client.get("/pages/signin/oidc", follow_redirects=False)
    denied = httpx2.post(started.headers["location"], data={"action": "deny"})
    answer = oidc_client.get(denied.headers["location"].removeprefix("http://testserver"))
    assert answer.status_code == 401
    assert "did not sign you in (access_denied)" in answer.text


def test_the_demo_sign_in_is_off_when_the_provider_is_configured(
    api_engine: Engine, provider: MockProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From the environment: the sign-in page shows only the provider's button, and the
    API-key sign-in answers 404 even with a valid key and form token."""
    monkeypatch.setenv("FOSTERMATCH_OIDC_ISSUER", provider.issuer)
    monkeypatch.setenv("FOSTERMATCH_OIDC_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("FOSTERMATCH_OIDC_NAME", "Agency Login")
    with TestClient(create_app(api_engine)) as client:
        page = client.get("/pages/signin")
        assert page.status_code == 200
        assert "Sign in with Agency Login" in page.text
        assert 'name="api_key"' not in page.text
        key = client.post("/pages/signin", data={"api_key": "fm_x_y", "csrf": "z"})
        assert key.status_code == 404
        # a key session cookie (as the demo sign-in made before) opens nothing either
        client.cookies.set(cookie.COOKIE, cookie.sign(1), path="/pages")
        assert client.get("/pages/children", follow_redirects=False).status_code == 303


def test_the_demo_sign_in_is_on_without_a_provider(client: TestClient) -> None:
    """Without FOSTERMATCH_OIDC_ISSUER: the key form, and no provider routes."""
    page = client.get("/pages/signin")
    assert 'name="api_key"' in page.text and "signin-oidc" not in page.text
    assert client.get("/pages/signin/oidc", follow_redirects=False).status_code == 404
    assert client.get("/pages/signin/callback?code=a&state=b").status_code == 404


def test_a_forged_provider_session_cookie_is_refused(oidc_client: TestClient) -> None:
    """The cookie's role is signed: a cookie claiming admin without our secret opens nothing."""
    value = cookie.sign_subject("coordinator-ann", "coordinator")
    payload, mac = value.split(".")
    body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    forged = base64.urlsafe_b64encode(json.dumps({**body, "r": "admin"}).encode())
    oidc_client.cookies.set(cookie.COOKIE, f"{forged.decode().rstrip('=')}.{mac}", path="/pages")
    assert oidc_client.get("/pages/children", follow_redirects=False).status_code == 303


# -- the API -------------------------------------------------------------------------------------


def test_the_api_accepts_the_providers_token_with_the_mapped_role(
    oidc_client: TestClient, provider: MockProvider, api_engine: Engine
) -> None:
    """A coordinator's token reads a child, and the audit log names the subject, no key."""
    token = provider.id_token("coordinator-ann")
    answer = oidc_client.get("/v1/children/C1", headers=bearer(token))
    assert answer.status_code == 200, answer.text
    with Session(api_engine) as session:
        entries = query_audit(session, AuditQuery(child_id="C1"))
    assert entries[-1].key_label == "oidc:coordinator-ann"
    assert entries[-1].key_id is None and entries[-1].role == "coordinator"


def test_a_recruiters_token_is_forbidden_a_child_but_reads_gaps(
    oidc_client: TestClient, provider: MockProvider
) -> None:
    """The role's permissions apply to tokens as to keys: 403 on a child, 200 on gaps."""
    token = provider.id_token("recruiter-raul")
    refused = oidc_client.get("/v1/children/C1", headers=bearer(token))
    assert refused.status_code == 403
    assert "recruiter" in refused.json()["detail"]
    assert oidc_client.get("/v1/recruitment/gaps", headers=bearer(token)).status_code == 200


def test_api_keys_still_work_beside_the_provider(
    oidc_client: TestClient, keys: dict[str, str]
) -> None:
    """A bearer value starting fm_ is an API key, checked as before."""
    key = bearer(keys["coordinator"])
    assert oidc_client.get("/v1/children/C1", headers=key).status_code == 200
    assert oidc_client.get("/v1/children/C1", headers=bearer("fm_0_nope")).status_code == 401


def _refused(client: TestClient, token: str) -> str:
    answer = client.get("/v1/children/C1", headers=bearer(token))
    assert answer.status_code == 401, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert 'error="invalid_token"' in answer.headers["www-authenticate"]
    detail: str = answer.json()["detail"]
    # no part of the token comes back (a JWT's segments are long; "a.b.c" is not a token)
    assert token not in answer.text
    assert all(part not in answer.text for part in token.split(".") if len(part) > 8)
    return detail


def test_an_expired_token_is_refused(
    api_engine: Engine, provider: MockProvider, oidc_client: TestClient
) -> None:
    """The provider's token two hours later (it lives one hour): 401 saying it expired."""
    token = provider.id_token("coordinator-ann")
    later = Provider(provider.settings(), clock=lambda: time.time() + 7200)
    with _client(api_engine, later) as client:
        assert "it has expired" in _refused(client, token)
    assert oidc_client.get("/v1/children/C1", headers=bearer(token)).status_code == 200


def test_a_token_for_another_audience_is_refused(
    oidc_client: TestClient, provider: MockProvider
) -> None:
    """Issued by our provider to another client: 401 naming the audience expected."""
    token = provider.id_token("coordinator-ann", client_id="another-application")
    assert "another audience, not 'fostermatch-test'" in _refused(oidc_client, token)


def test_a_token_from_another_issuer_is_refused(
    oidc_client: TestClient, provider: MockProvider, other_provider: MockProvider
) -> None:
    """Same client id and person at another provider: 401 naming the trusted issuer."""
    token = other_provider.id_token("coordinator-ann")
    assert f"another issuer, not by {provider.issuer}" in _refused(oidc_client, token)


def _claims(provider: MockProvider, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {"iss": provider.issuer, "aud": CLIENT_ID, "sub": "coordinator-ann"}
    return {**claims, "iat": now, "exp": now + 600, "groups": ["fm-admin"], **changes}


def test_a_token_signed_by_an_unknown_key_is_refused(
    oidc_client: TestClient, provider: MockProvider
) -> None:
    """Right issuer, audience and time, but a key the provider does not publish: 401."""
    rogue = RSAKey.generate_key(2048, parameters={"kid": "rogue"})
    token = jwt.encode({"alg": "RS256", "kid": "rogue"}, _claims(provider), rogue)
    assert "a key the identity provider does not publish" in _refused(oidc_client, token)
    unnamed = jwt.encode({"alg": "RS256"}, _claims(provider), rogue)  # no kid: tried, fails
    assert "signature does not verify" in _refused(oidc_client, unnamed)


def test_none_and_shared_secret_algorithms_are_refused(
    oidc_client: TestClient, provider: MockProvider
) -> None:
    """'alg: none', and HS256 keyed with the provider's public key (the key-confusion
    attack): both refused before any key is used."""
    jwks = httpx2.get(f"{provider.issuer}/jwks").json()
    public = json.dumps(jwks["keys"][0]).encode()

    def compact(header: dict[str, Any], secret: bytes | None) -> str:
        parts = [
            base64.urlsafe_b64encode(json.dumps(part).encode()).decode().rstrip("=")
            for part in (header, _claims(provider))
        ]
        signing_input = ".".join(parts).encode()
        mac = hmac.new(secret, signing_input, hashlib.sha256).digest() if secret else b""
        return f"{signing_input.decode()}.{base64.urlsafe_b64encode(mac).decode().rstrip('=')}"

    assert "algorithm 'none' is not accepted" in _refused(
        oidc_client, compact({"alg": "none"}, None)
    )
    assert "algorithm 'HS256' is not accepted" in _refused(
        oidc_client, compact({"alg": "HS256"}, public)
    )


def test_a_bearer_value_that_is_no_token_is_refused(oidc_client: TestClient) -> None:
    """Neither a key nor a JWT: 401 saying so, not a 500."""
    assert "neither an API key" in _refused(oidc_client, "hello")
    assert "not a readable JSON Web Token" in _refused(oidc_client, "a.b.c")


def test_a_valid_token_without_a_mapped_role_gets_403(
    oidc_client: TestClient, provider: MockProvider
) -> None:
    """Authenticated but no role: 403 naming the claim."""
    answer = oidc_client.get("/v1/children/C1", headers=bearer(provider.id_token("visitor-vera")))
    assert answer.status_code == 403
    assert "'groups' maps to none of the roles" in answer.json()["detail"]


# -- keys, rotation, settings -----------------------------------------------------------------


def _jwks_transport(keys: list[RSAKey], fetches: list[float]) -> httpx2.MockTransport:
    """A provider whose published keys are ``keys`` at each request (the test rotates them)."""
    issuer = "https://login.agency.example"

    def answer(request: httpx2.Request) -> httpx2.Response:
        if request.url.path == "/.well-known/openid-configuration":
            return httpx2.Response(
                200,
                json={
                    "issuer": issuer,
                    "authorization_endpoint": f"{issuer}/authorize",
                    "token_endpoint": f"{issuer}/token",
                    "jwks_uri": f"{issuer}/jwks",
                },
            )
        fetches.append(time.time())
        return httpx2.Response(200, json={"keys": [key.as_dict(private=False) for key in keys]})

    return httpx2.MockTransport(answer)


def test_a_rotated_key_is_fetched_once_and_unknown_keys_do_not_hammer_the_provider() -> None:
    """A token naming a new key fetches the JWKS again (then verifies); an unknown key id
    fetches it at most once per 30 s."""
    old = RSAKey.generate_key(2048, parameters={"kid": "old"})
    new = RSAKey.generate_key(2048, parameters={"kid": "new"})
    published: list[RSAKey] = [old]
    fetches: list[float] = []
    now = [1_000_000.0]
    settings = OidcSettings(issuer="https://login.agency.example", client_id="fm")
    checker = Provider(
        settings, transport=_jwks_transport(published, fetches), clock=lambda: now[0]
    )
    claims = {"iss": settings.issuer, "aud": "fm", "sub": "s", "exp": now[0] + 60}
    assert checker.verify(jwt.encode({"alg": "RS256", "kid": "old"}, claims, old), "fm")
    published[:] = [new]  # the provider rotates its key
    now[0] += 31
    assert checker.verify(jwt.encode({"alg": "RS256", "kid": "new"}, claims, new), "fm")
    assert len(fetches) == 2
    for _ in range(5):
        with pytest.raises(TokenRejected, match="does not publish"):
            checker.verify(jwt.encode({"alg": "RS256", "kid": "x"}, claims, old), "fm")
    assert len(fetches) == 2  # within 30 s of the last fetch: not fetched again


def test_a_token_not_valid_yet_is_refused() -> None:
    """nbf two minutes ahead (beyond the 60 s of skew allowed): refused."""
    key = RSAKey.generate_key(2048, parameters={"kid": "k"})
    settings = OidcSettings(issuer="https://login.agency.example", client_id="fm")
    checker = Provider(settings, transport=_jwks_transport([key], []))
    now = time.time()
    claims = {"iss": settings.issuer, "aud": "fm", "sub": "s", "exp": now + 600, "nbf": now + 120}
    with pytest.raises(TokenRejected, match=r"not valid yet \(nbf\)"):
        checker.verify(jwt.encode({"alg": "RS256", "kid": "k"}, claims, key), "fm")


def test_settings_come_from_the_environment() -> None:
    """Unset issuer: no provider; set: every variable read, defaults where unset."""
    assert settings_from_env({}) is None
    settings = settings_from_env(
        {
            "FOSTERMATCH_OIDC_ISSUER": "https://login.agency.example/realms/fm/",
            "FOSTERMATCH_OIDC_CLIENT_ID": "fostermatch",
            "FOSTERMATCH_OIDC_ROLE_CLAIM": "realm_access.roles",
            "FOSTERMATCH_OIDC_ROLE_MAP": "fm-coordinator=coordinator, fm-recruiter=recruiter",
        }
    )
    assert settings is not None
    assert settings.issuer == "https://login.agency.example/realms/fm"
    assert settings.api_audience == "fostermatch" and settings.client_secret is None
    assert settings.display_name == "login.agency.example"
    assert dict(settings.role_map) == {"fm-coordinator": "coordinator", "fm-recruiter": "recruiter"}


def test_malformed_settings_name_the_variable_and_the_entry() -> None:
    """A missing client id, an entry without '=' and an unknown role are each named."""
    with pytest.raises(OidcConfigError, match="FOSTERMATCH_OIDC_CLIENT_ID must be set"):
        settings_from_env({"FOSTERMATCH_OIDC_ISSUER": "https://login.agency.example"})
    with pytest.raises(OidcConfigError, match=r"entry 2 \('oops'\) should read"):
        parse_role_map("a=admin,oops")
    with pytest.raises(OidcConfigError, match="entry 1 maps 'a' to unknown role 'boss'"):
        parse_role_map("a=boss")


def test_serve_refuses_a_malformed_setting_before_starting(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`fostermatch serve` with a role map naming no real role: exit 2 and the variable named."""
    monkeypatch.setenv("FOSTERMATCH_OIDC_ISSUER", "https://login.agency.example")
    monkeypatch.setenv("FOSTERMATCH_OIDC_CLIENT_ID", "fostermatch")
    monkeypatch.setenv("FOSTERMATCH_OIDC_ROLE_MAP", "fm-boss=boss")
    assert main(["serve"]) == EXIT_BAD_INPUT
    assert "FOSTERMATCH_OIDC_ROLE_MAP: entry 1 maps 'fm-boss'" in capsys.readouterr().err


def test_roles_come_from_a_string_a_list_or_a_dotted_path() -> None:
    """Keycloak's realm_access.roles, a namespaced claim with dots, a plain string; several
    mapped roles give the broadest, none gives None."""
    keycloak = {"realm_access": {"roles": ["offline_access", "fm-coordinator"]}}
    assert claim_values(keycloak, "realm_access.roles") == ["offline_access", "fm-coordinator"]
    namespaced = "https://agency.example/roles"
    assert claim_values({namespaced: "x"}, namespaced) == ["x"]
    assert claim_values({"roles": 3}, "roles") == []
    settings = OidcSettings(
        issuer="https://login.agency.example",
        client_id="fm",
        role_map=parse_role_map("fm-coordinator=coordinator,fm-recruiter=recruiter"),
    )
    assert role_of({"roles": ["fm-recruiter", "fm-coordinator"]}, settings) == "coordinator"
    assert role_of({"roles": "fm-recruiter"}, settings) == "recruiter"
    assert role_of({"roles": ["admin"]}, settings) is None
