"""A local OpenID Connect provider for the sign-in tests: oidc-provider-mock (a dev dependency)
in a subprocess on a free loopback port, with people whose claims the test chooses.

A subprocess keeps the provider's own threads and deprecation warnings out of the test
process (whose warnings are errors). Nothing here reaches beyond 127.0.0.1.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx2

from api.services.oidc import OidcSettings
from tests.helpers.server import free_port

CLIENT_ID = "fostermatch-test"
CLIENT_SECRET = "test-secret"
# provider value -> role, as an agency would write FOSTERMATCH_OIDC_ROLE_MAP
ROLE_MAP = "fm-admin=admin,fm-coordinator=coordinator,fm-recruiter=recruiter"
# the people the provider knows: subject -> claims (each one's groups in "groups")
PEOPLE: dict[str, dict[str, Any]] = {
    "coordinator-ann": {"groups": ["staff", "fm-coordinator"], "preferred_username": "ann"},
    "recruiter-raul": {"groups": "fm-recruiter", "preferred_username": "raul"},
    "visitor-vera": {"groups": ["staff"], "preferred_username": "vera"},
}


@dataclass(frozen=True)
class MockProvider:
    """A running provider: its issuer URL and how to get a token from it like a client."""

    issuer: str

    def settings(self, **changes: Any) -> OidcSettings:
        """Settings of an application that trusts this provider (groups -> roles)."""
        from api.services.oidc import parse_role_map

        fields: dict[str, Any] = {
            "issuer": self.issuer,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "role_claim": "groups",
            "role_map": parse_role_map(ROLE_MAP),
            "name": "Agency Login",
        }
        return OidcSettings(**{**fields, **changes})

    def id_token(self, subject: str, client_id: str = CLIENT_ID) -> str:
        """An ID token the provider issues to ``client_id`` for ``subject`` (code flow, PKCE)."""
        redirect_uri = "http://127.0.0.1:9/callback"  # never called: the code is read here
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        with httpx2.Client(base_url=self.issuer, timeout=10) as client:
            answer = client.post(
                "/oauth2/authorize",
                params={
                    "client_id": client_id,
                    "redirect_uri": redirect_uri,
                    "response_type": "code",
                    "scope": "openid profile",
                    "state": secrets.token_urlsafe(8),
                    "nonce": secrets.token_urlsafe(8),
                    "code_challenge": challenge.decode().rstrip("="),
                    "code_challenge_method": "S256",
                },
                data={"sub": subject},
            )
            code = parse_qs(urlparse(answer.headers["location"]).query)["code"][0]
            token = client.post(
                "/oauth2/token",
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": redirect_uri,
                    "code_verifier": verifier,
                },
                auth=(client_id, CLIENT_SECRET),
            )
            token.raise_for_status()
        return str(token.json()["id_token"])


@contextmanager
def running_provider(people: dict[str, dict[str, Any]] = PEOPLE) -> Iterator[MockProvider]:
    """Start the provider on a free port and stop it afterwards (it needs a nonce)."""
    port = free_port()
    command = [
        sys.executable,
        "-W",
        "ignore",
        "-m",
        "oidc_provider_mock",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--require-nonce",
    ]
    for subject, claims in people.items():
        command += ["--user-claims", json.dumps({"sub": subject, **claims})]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    issuer = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"oidc-provider-mock exited with {process.returncode}")
            try:
                if httpx2.get(f"{issuer}/.well-known/openid-configuration").status_code == 200:
                    break
            except httpx2.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("oidc-provider-mock did not answer within 30 s")
            time.sleep(0.1)
        yield MockProvider(issuer)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
