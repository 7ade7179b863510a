"""Sign-in through the agency's OpenID Connect provider, and the provider's JWTs on the API.

Configured from the environment (:func:`settings_from_env`; nothing is configured when
``FOSTERMATCH_OIDC_ISSUER`` is unset, and then the pages keep the API-key sign-in):

=====================================  ==========================================================
``FOSTERMATCH_OIDC_ISSUER``            the provider's issuer URL (discovery is read from
                                       ``<issuer>/.well-known/openid-configuration``)
``FOSTERMATCH_OIDC_CLIENT_ID``         this application's client id at the provider (required)
``FOSTERMATCH_OIDC_CLIENT_SECRET``     its secret (a confidential client); unset: a public client
``FOSTERMATCH_OIDC_ROLE_CLAIM``        the claim holding the person's groups or roles
                                       (default ``roles``; a dotted path such as
                                       ``realm_access.roles`` reaches into an object)
``FOSTERMATCH_OIDC_ROLE_MAP``          provider value -> role, e.g.
                                       ``fm-coordinator=coordinator,fm-recruiter=recruiter``
                                       (default: the role names themselves)
``FOSTERMATCH_OIDC_AUDIENCE``          the audience the API's bearer tokens must carry
                                       (default: the client id)
``FOSTERMATCH_OIDC_NAME``              the provider's name on the sign-in button
``FOSTERMATCH_OIDC_REDIRECT_URI``      the callback URL registered at the provider (default:
                                       ``/pages/signin/callback`` on the host the browser used)
=====================================  ==========================================================

The pages sign in with the authorization code flow, with PKCE (S256), ``state`` and ``nonce``
(:meth:`Provider.authorization` and :meth:`Provider.sign_in`; authlib's OAuth 2 client makes
the request and exchanges the code). The API accepts the provider's JWTs beside the API keys
(:meth:`Provider.principal`). Both check a token the same way (:meth:`Provider.verify`):
an algorithm from :data:`ALGORITHMS` (never ``none``, never a shared-secret HS* algorithm),
the issuer, a signature by a key the provider publishes (its JWKS, cached and fetched again
when a token names a key not in it, at most every :data:`JWKS_REFRESH_S` seconds), the
audience, the expiry and ``nbf`` (with :data:`LEEWAY_S` of clock skew), and for an ID token
the nonce. A refused token raises :class:`TokenRejected` with a sentence saying which check
failed, never the token.

The role comes from the role claim through the role map; a person whose values map to
several roles gets the broadest (the first in :data:`api.services.keys.ROLES`), one whose values map
to none gets no role (:class:`NoRole`).
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import httpx2
from authlib.common.security import generate_token
from authlib.integrations.base_client import OAuthError
from authlib.integrations.httpx_client import OAuth2Client
from joserfc import jwt
from joserfc.errors import BadSignatureError, JoseError
from joserfc.jwk import KeySet

from api.services.keys import ROLES, NoRole, Principal, ProviderUnavailable, TokenRejected
from api.settings import Settings, load_settings

__all__ = [
    "ALGORITHMS",
    "AUDIENCE_ENV",
    "CLIENT_ID_ENV",
    "CLIENT_SECRET_ENV",
    "ISSUER_ENV",
    "NAME_ENV",
    "REDIRECT_URI_ENV",
    "ROLE_CLAIM_ENV",
    "ROLE_MAP_ENV",
    "Authorization",
    "NoRole",
    "OidcConfigError",
    "OidcSettings",
    "Provider",
    "ProviderUnavailable",
    "TokenRejected",
    "claim_values",
    "oidc_settings",
    "parse_role_map",
    "provider_from_env",
    "role_of",
    "settings_from_env",
    "subject_principal",
]

ISSUER_ENV = "FOSTERMATCH_OIDC_ISSUER"
CLIENT_ID_ENV = "FOSTERMATCH_OIDC_CLIENT_ID"
CLIENT_SECRET_ENV = "FOSTERMATCH_OIDC_CLIENT_SECRET"
ROLE_CLAIM_ENV = "FOSTERMATCH_OIDC_ROLE_CLAIM"
ROLE_MAP_ENV = "FOSTERMATCH_OIDC_ROLE_MAP"
AUDIENCE_ENV = "FOSTERMATCH_OIDC_AUDIENCE"
NAME_ENV = "FOSTERMATCH_OIDC_NAME"
REDIRECT_URI_ENV = "FOSTERMATCH_OIDC_REDIRECT_URI"

# asymmetric signatures only: "none" and the HS* family (a shared secret, which a public key
# published in the JWKS must never become) are refused before any key is looked at
ALGORITHMS = (
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "ES512",
    "EdDSA",
)
LEEWAY_S = 60  # clock skew allowed on exp and nbf
JWKS_REFRESH_S = 30  # an unknown key id fetches the JWKS again at most this often
HTTP_TIMEOUT_S = 10.0
MAX_TOKEN_CHARS = 16_384  # a JWT longer than this is not one a provider issued
SCOPE = "openid profile"
LABEL_PREFIX = "oidc:"


class OidcConfigError(ValueError):
    """The OIDC settings in the environment are incomplete or malformed (names the variable)."""


@dataclass(frozen=True, slots=True)
class OidcSettings:
    """The provider and how its claims become a role (see the module docstring)."""

    issuer: str
    client_id: str
    client_secret: str | None = None
    role_claim: str = "roles"
    role_map: Mapping[str, str] = field(default_factory=lambda: {role: role for role in ROLES})
    audience: str = ""  # "" means the client id
    name: str = ""  # "" means the issuer's host
    redirect_uri: str | None = None

    @property
    def api_audience(self) -> str:
        return self.audience or self.client_id

    @property
    def display_name(self) -> str:
        return self.name or urlparse(self.issuer).netloc or self.issuer


def parse_role_map(text: str) -> dict[str, str]:
    """``"fm-coord=coordinator, fm-rec=recruiter"`` -> provider value -> role.

    Raises
    ------
    OidcConfigError
        An entry without ``=``, an empty value or a role that does not exist.
    """
    mapping: dict[str, str] = {}
    for number, entry in enumerate(text.split(","), start=1):
        if not entry.strip():
            continue
        value, equals, role = entry.partition("=")
        value, role = value.strip(), role.strip()
        if not equals or not value:
            raise OidcConfigError(
                f"{ROLE_MAP_ENV}: entry {number} ({entry.strip()!r}) should read "
                "'provider-value=role'"
            )
        if role not in ROLES:
            raise OidcConfigError(
                f"{ROLE_MAP_ENV}: entry {number} maps {value!r} to unknown role {role!r}; "
                f"choose from {', '.join(ROLES)}"
            )
        mapping[value] = role
    if not mapping:
        raise OidcConfigError(f"{ROLE_MAP_ENV} is set but maps no value to a role")
    return mapping


def settings_from_env(environ: Mapping[str, str] | None = None) -> OidcSettings | None:
    """The OIDC settings of the environment (or of ``environ``), as :func:`oidc_settings`."""
    return oidc_settings(load_settings(environ))


def oidc_settings(settings: Settings) -> OidcSettings | None:
    """The OIDC settings of ``settings``; None when ``FOSTERMATCH_OIDC_ISSUER`` is unset.

    Raises
    ------
    OidcConfigError
        The issuer is set without a client id, is not an http(s) URL, or the role map is
        malformed.
    """
    env = settings
    issuer = env.oidc_issuer.strip()
    if not issuer:
        return None
    if urlparse(issuer).scheme not in ("https", "http") or not urlparse(issuer).netloc:
        raise OidcConfigError(f"{ISSUER_ENV} should be the provider's URL, e.g. https://...")
    client_id = env.oidc_client_id.strip()
    if not client_id:
        raise OidcConfigError(f"{ISSUER_ENV} is set: {CLIENT_ID_ENV} must be set too")
    role_map = env.oidc_role_map.strip()
    return OidcSettings(
        issuer=issuer.rstrip("/"),
        client_id=client_id,
        client_secret=env.oidc_client_secret or None,
        role_claim=env.oidc_role_claim.strip() or "roles",
        role_map=parse_role_map(role_map) if role_map else {role: role for role in ROLES},
        audience=env.oidc_audience.strip(),
        name=env.oidc_name.strip(),
        redirect_uri=env.oidc_redirect_uri.strip() or None,
    )


def claim_values(claims: Mapping[str, Any], claim: str) -> list[str]:
    """The strings at ``claim``: a string or a list of strings, by name or dotted path.

    A claim whose name itself holds dots (``https://agency.example/roles``) is found by name
    first; otherwise ``realm_access.roles`` reads ``claims["realm_access"]["roles"]``.
    """
    value: Any = claims.get(claim)
    if value is None and "." in claim:
        value = claims
        for part in claim.split("."):
            value = value.get(part) if isinstance(value, Mapping) else None
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return []


def role_of(claims: Mapping[str, Any], settings: OidcSettings) -> str | None:
    """The role the claims map to (the broadest when several do); None when none does."""
    values = claim_values(claims, settings.role_claim)
    mapped = {settings.role_map[value] for value in values if value in settings.role_map}
    return next((role for role in ROLES if role in mapped), None)


def subject_principal(subject: str, role: str) -> Principal:
    """The principal of a person signed in at the provider: no key, labelled by subject.

    The subject, not the e-mail or the name, labels them in the audit log: it is the
    provider's stable id, and it is not personal data in clear.
    """
    return Principal(None, f"{LABEL_PREFIX}{subject}"[:200], role, subject=subject)


@dataclass(frozen=True, slots=True)
class Authorization:
    """Where to send the browser, and what the callback must find again."""

    url: str
    state: str
    nonce: str
    code_verifier: str


def _unverified_parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The header and claims of a compact JWS, before any check (to choose the checks)."""
    parts = token.split(".")
    if len(parts) != 3 or len(token) > MAX_TOKEN_CHARS:
        raise TokenRejected("it is neither an API key (fm_...) nor a JSON Web Token")
    try:
        header, claims = (
            json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
            for part in parts[:2]
        )
    except ValueError:
        raise TokenRejected("it is not a readable JSON Web Token") from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise TokenRejected("it is not a readable JSON Web Token")
    return header, claims


class Provider:
    """The agency's OpenID Connect provider: discovery, keys, sign-in and token checks.

    Thread-safe: one instance serves every request of a worker. ``transport`` replaces the
    network in tests (an ``httpx2`` transport); ``clock`` gives the time in seconds.
    """

    def __init__(
        self,
        settings: OidcSettings,
        *,
        transport: httpx2.BaseTransport | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self._transport = transport
        self._clock = clock
        self._lock = threading.Lock()
        self._metadata: dict[str, Any] | None = None
        self._keys: KeySet | None = None
        self._keys_fetched_at = float("-inf")

    # -- discovery and keys -------------------------------------------------------------------

    def _get_json(self, url: str) -> dict[str, Any]:
        try:
            with httpx2.Client(transport=self._transport, timeout=HTTP_TIMEOUT_S) as client:
                response = client.get(url, headers={"Accept": "application/json"})
                response.raise_for_status()
                document = response.json()
        except (httpx2.HTTPError, ValueError) as exc:
            raise ProviderUnavailable(
                f"the identity provider did not answer {url} ({type(exc).__name__})"
            ) from None
        if not isinstance(document, dict):
            raise ProviderUnavailable(f"the identity provider's {url} is not a JSON object")
        return document

    def metadata(self) -> dict[str, Any]:
        """The discovery document (read once, kept; its issuer must be the configured one)."""
        if self._metadata is None:
            url = f"{self.settings.issuer}/.well-known/openid-configuration"
            document = self._get_json(url)
            if str(document.get("issuer", "")).rstrip("/") != self.settings.issuer:
                raise ProviderUnavailable(
                    f"the discovery document at {url} names issuer "
                    f"{document.get('issuer')!r}, not {ISSUER_ENV}={self.settings.issuer!r}"
                )
            needed = ("authorization_endpoint", "token_endpoint", "jwks_uri")
            missing = [name for name in needed if not document.get(name)]
            if missing:
                raise ProviderUnavailable(f"the discovery document at {url} has no {missing[0]}")
            self._metadata = document
        return self._metadata

    def _key_set(self, kid: str | None) -> KeySet:
        """The provider's keys, fetched again when ``kid`` is not among them (rate-limited)."""
        with self._lock:
            known = self._keys is not None and (
                kid is None or any(key.kid == kid for key in self._keys.keys)
            )
            stale = self._clock() - self._keys_fetched_at >= JWKS_REFRESH_S
            if self._keys is None or (not known and stale):
                document = self._get_json(str(self.metadata()["jwks_uri"]))
                try:
                    self._keys = KeySet.import_key_set(document)  # type: ignore[arg-type]
                except (JoseError, KeyError, TypeError, ValueError):
                    raise ProviderUnavailable(
                        "the identity provider's JWKS has no usable key"
                    ) from None
                self._keys_fetched_at = self._clock()
            assert self._keys is not None
            return self._keys

    # -- token checks ---------------------------------------------------------------------------

    def verify(self, token: str, audience: str, nonce: str | None = None) -> dict[str, Any]:
        """The claims of a token issued by the provider for ``audience``; every check applied.

        Raises
        ------
        TokenRejected
            Any check failed; the message says which.
        ProviderUnavailable
            The provider's keys could not be read.
        """
        header, unverified = _unverified_parts(token)
        alg = header.get("alg")
        if alg not in ALGORITHMS:
            # the name only when it is one of the usual ones: the header is the caller's text
            named = f" {alg!r}" if alg in ("none", "HS256", "HS384", "HS512") else ""
            accepted = ", ".join(ALGORITHMS)
            raise TokenRejected(f"its signing algorithm{named} is not accepted ({accepted})")
        issuer = self.metadata()["issuer"]
        if unverified.get("iss") != issuer:
            raise TokenRejected(f"it was issued by another issuer, not by {issuer}")
        kid = header.get("kid") if isinstance(header.get("kid"), str) else None
        keys = self._key_set(kid)
        candidates = [key for key in keys.keys if kid is None or key.kid == kid]
        if not candidates:
            raise TokenRejected("it is signed by a key the identity provider does not publish")
        claims = self._signed_claims(token, alg, candidates)
        self._check_claims(claims, issuer, audience, nonce)
        return claims

    @staticmethod
    def _signed_claims(token: str, alg: str, keys: list[Any]) -> dict[str, Any]:
        for key in keys:
            try:
                return dict(jwt.decode(token, key, algorithms=[alg]).claims)
            except BadSignatureError:
                continue
            except JoseError:
                raise TokenRejected(
                    "its signature could not be checked with the provider's key"
                ) from None
        raise TokenRejected("its signature does not verify against the identity provider's keys")

    def _check_claims(
        self, claims: Mapping[str, Any], issuer: str, audience: str, nonce: str | None
    ) -> None:
        now = self._clock()
        if claims.get("iss") != issuer:
            raise TokenRejected(f"it was issued by another issuer, not by {issuer}")
        audiences = claims.get("aud")
        audiences = [audiences] if isinstance(audiences, str) else audiences
        if not isinstance(audiences, list) or audience not in audiences:
            raise TokenRejected(f"it is for another audience, not {audience!r}")
        expiry = claims.get("exp")
        if not isinstance(expiry, int | float) or isinstance(expiry, bool):
            raise TokenRejected("it has no expiry time (exp)")
        if now > expiry + LEEWAY_S:
            raise TokenRejected("it has expired (exp)")
        not_before = claims.get("nbf")
        if not_before is not None and (
            not isinstance(not_before, int | float) or now + LEEWAY_S < not_before
        ):
            raise TokenRejected("it is not valid yet (nbf)")
        if not isinstance(claims.get("sub"), str) or not claims["sub"]:
            raise TokenRejected("it names no subject (sub)")
        if nonce is not None and claims.get("nonce") != nonce:
            raise TokenRejected("its nonce is not the one this sign-in sent")

    def principal(self, token: str) -> Principal:
        """The caller of the API presenting the provider's JWT ``token``.

        Raises
        ------
        TokenRejected, ProviderUnavailable
            As :meth:`verify`.
        NoRole
            The token is valid but its role claim maps to no role.
        """
        claims = self.verify(token, self.settings.api_audience)
        role = role_of(claims, self.settings)
        if role is None:
            raise NoRole(
                f"the token's claim {self.settings.role_claim!r} maps to none of the roles"
            )
        return subject_principal(claims["sub"], role)

    # -- the pages' sign-in ----------------------------------------------------------------------

    def _client(self, redirect_uri: str) -> OAuth2Client:
        return OAuth2Client(
            client_id=self.settings.client_id,
            client_secret=self.settings.client_secret,
            token_endpoint_auth_method=(
                "client_secret_basic" if self.settings.client_secret else "none"
            ),
            scope=SCOPE,
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
            transport=self._transport,
            timeout=HTTP_TIMEOUT_S,
        )

    def authorization(self, redirect_uri: str) -> Authorization:
        """The authorization request: a fresh state, nonce and PKCE verifier."""
        endpoint = str(self.metadata()["authorization_endpoint"])
        state, nonce, verifier = generate_token(32), generate_token(32), generate_token(64)
        with self._client(redirect_uri) as client:
            url, _ = client.create_authorization_url(
                endpoint, state=state, code_verifier=verifier, nonce=nonce
            )
        return Authorization(str(url), state, nonce, verifier)

    def sign_in(self, redirect_uri: str, code: str, code_verifier: str, nonce: str) -> Principal:
        """Exchange the callback's code (with the PKCE verifier) and check the ID token.

        The role claim is read from the ID token, else from the userinfo endpoint.

        Raises
        ------
        TokenRejected
            The provider refused the code, or its ID token failed a check.
        NoRole
            The person's role claim maps to no role.
        ProviderUnavailable
            The provider could not be reached.
        """
        metadata = self.metadata()
        try:
            with self._client(redirect_uri) as client:
                token = client.fetch_token(
                    str(metadata["token_endpoint"]), code=code, code_verifier=code_verifier
                )
                id_token = token.get("id_token")
                if not isinstance(id_token, str):
                    raise TokenRejected("the provider answered without an ID token")
                claims = self.verify(id_token, self.settings.client_id, nonce=nonce)
                if not claim_values(claims, self.settings.role_claim) and metadata.get(
                    "userinfo_endpoint"
                ):
                    info = client.get(str(metadata["userinfo_endpoint"]))
                    info.raise_for_status()
                    extra = info.json()
                    if isinstance(extra, dict) and extra.get("sub") == claims["sub"]:
                        claims = {**extra, **claims}
        except httpx2.HTTPError as exc:
            raise ProviderUnavailable(
                f"the identity provider's token endpoint failed ({type(exc).__name__})"
            ) from None
        except OAuthError as exc:  # the token endpoint's error answer
            raise TokenRejected(f"the provider refused the sign-in ({exc.error})") from None
        role = role_of(claims, self.settings)
        if role is None:
            raise NoRole(f"the claim {self.settings.role_claim!r} maps to none of the roles")
        return subject_principal(claims["sub"], role)


def provider_from_env() -> Provider | None:
    """The configured provider, or None (see :func:`settings_from_env`)."""
    settings = settings_from_env()
    return Provider(settings) if settings is not None else None
