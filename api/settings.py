"""Every environment variable fostermatch reads, in one object, validated when read.

The README's "Environment variables" table lists them. :func:`load_settings` reads them
(``create_app`` and the command line call it at start-up); a wrong value is refused with a
:class:`SettingsError` naming the variable and what it should be.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, EnvSettingsSource, SettingsConfigDict

__all__ = ["PREFIX", "Settings", "SettingsError", "load_settings"]

PREFIX = "FOSTERMATCH_"


class SettingsError(ValueError):
    """An environment variable with a value fostermatch cannot use; the message names it."""


class Settings(BaseSettings):
    """The deployment's settings: each field is the variable ``FOSTERMATCH_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix=PREFIX, frozen=True, extra="ignore")

    database_url: str | None = Field(
        default=None, description="the database (default: SQLite file)"
    )
    session_secret: str | None = Field(default=None, description="signs the pages' cookies")
    public_origin: str = Field(default="", description="the pages' public address(es), commas")
    cors_origins: str = Field(default="", description="origins allowed cross-site, commas")
    plan_jobs_per_key: int = Field(default=2, description="plans queued or running at once per key")
    plan_jobs_per_role: int = Field(
        default=4, description="plans queued or running at once per role"
    )
    plan_runner: Literal["web", "queue"] | None = Field(
        default=None,
        description="who runs plans: 'queue' (fostermatch worker, PostgreSQL) or 'web' "
        "(a thread in each web process); default queue on PostgreSQL, web on SQLite",
    )
    require_if_match: bool = Field(
        default=True,
        description="a case_system key's PUT of an existing record must send If-Match (428)",
    )
    idempotency_key_hours: int = Field(
        default=24, description="hours an Idempotency-Key's answer is kept for a retry"
    )
    tile_url: str = Field(
        default="", description="a tile server's URL template for the map's base layer"
    )
    tile_attribution: str = Field(default="", description="the tiles' attribution")
    oidc_issuer: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: str | None = None
    oidc_role_claim: str = ""
    oidc_role_map: str = ""
    oidc_audience: str = ""
    oidc_name: str = ""
    oidc_redirect_uri: str = ""

    @field_validator("plan_jobs_per_key", "plan_jobs_per_role", mode="before")
    @classmethod
    def _whole_number(cls, value: Any) -> Any:
        # "3.0", "+3" or "3e0" would pass pydantic's int: a count of plans is digits only
        return _positive(value, "plans")

    @field_validator("idempotency_key_hours", mode="before")
    @classmethod
    def _whole_hours(cls, value: Any) -> Any:
        return _positive(value, "hours")

    @field_validator("tile_url")
    @classmethod
    def _tile_template(cls, value: str) -> str:
        # the browser loads the tiles: an https (or http) address with {z}, {x} and {y}
        value = value.strip()
        if not value:
            return value
        missing = [f"{{{k}}}" for k in ("z", "x", "y") if f"{{{k}}}" not in value]
        if urlsplit(value).scheme not in ("https", "http") or not urlsplit(value).netloc:
            raise ValueError(f"must be an http(s) URL template; it is {value!r}")
        if missing:
            raise ValueError(
                f"must hold {', '.join(missing)} (a tile URL template); it is {value!r}"
            )
        return value

    @property
    def tile_origin(self) -> str | None:
        """The scheme and host of ``FOSTERMATCH_TILE_URL`` (None: no tiles)."""
        if not self.tile_url:
            return None
        parts = urlsplit(self.tile_url)
        # "{s}.tiles.example.org" names several hosts: the policy allows them all
        return f"{parts.scheme}://{parts.netloc.replace('{s}', '*')}"

    def plan_runner_for(self, dialect: str) -> Literal["web", "queue"]:
        """Who runs plans on a database of ``dialect``; the queue needs PostgreSQL.

        Raises
        ------
        SettingsError
            ``FOSTERMATCH_PLAN_RUNNER=queue`` on a database other than PostgreSQL.
        """
        if self.plan_runner is None:
            return "queue" if dialect == "postgresql" else "web"
        if self.plan_runner == "queue" and dialect != "postgresql":
            raise SettingsError(
                f"{PREFIX}PLAN_RUNNER: 'queue' needs PostgreSQL; the database is {dialect}"
            )
        return self.plan_runner

    @property
    def cors_origin_list(self) -> list[str]:
        """The origins of ``FOSTERMATCH_CORS_ORIGINS``, blanks dropped."""
        return [o.strip() for o in self.cors_origins.split(",") if o.strip()]

    @property
    def public_origin_list(self) -> list[str]:
        """The addresses of ``FOSTERMATCH_PUBLIC_ORIGIN``, blanks dropped."""
        return [o for o in self.public_origin.split(",") if o.strip()]


def _positive(value: Any, unit: str) -> Any:
    """A whole number 1 or more written as digits only (pydantic's int takes "3.0", "3e0")."""
    if isinstance(value, str):
        text = value.strip()
        if not text.isascii() or not text.isdigit() or int(text) < 1:
            raise ValueError(f"must be a whole number of {unit}, 1 or more; it is {value!r}")
        return int(text)
    return value


class _GivenEnvironment(EnvSettingsSource):
    """The environment source over a given mapping instead of the process's environment."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        self._given = environ
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return {name.lower(): value for name, value in self._given.items()}


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """The settings of the process's environment (or of ``environ``).

    Raises
    ------
    SettingsError
        Naming each variable whose value is not usable, and why.
    """
    try:
        if environ is None:
            return Settings()
        given = environ

        class GivenSettings(Settings):
            @classmethod
            def settings_customise_sources(
                cls, settings_cls: type[BaseSettings], *_: Any, **__: Any
            ) -> tuple[EnvSettingsSource]:
                return (_GivenEnvironment(settings_cls, given),)

        return GivenSettings()
    except ValidationError as exc:
        problems = [
            f"{PREFIX}{'.'.join(str(p) for p in e['loc']).upper()}: "
            + str(e["msg"]).removeprefix("Value error, ")
            for e in exc.errors()
        ]
        raise SettingsError("; ".join(problems)) from None
