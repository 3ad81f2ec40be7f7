"""Every `SIKS_*` environment setting, typed and documented in one class.

Why one class: a setting read in several places drifts (two defaults for `SIKS_DATA_DIR`, a boolean that
only accepted `1`), and nobody can list them. `settings()` reads the environment on every call, not once at
import, so `siks serve --db`, the demo and tests that set a variable are seen by the code that runs after.
The table in docs/settings.md is generated from this class (`python -m siks.settings`) and a test keeps
the two equal.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from siks.domain.roles import LEVELS, Level

PREFIX = "SIKS_"


class SettingsError(ValueError):
    """An environment setting siks cannot use; the message is Indonesian and names the variable."""


class Settings(BaseSettings):
    """The instance's settings; each field is read from `SIKS_<NAME>` (upper case)."""

    model_config = SettingsConfigDict(env_prefix=PREFIX, env_ignore_empty=True, extra="ignore")

    database_url: str = Field(
        "sqlite:///siks.db",
        description="SQLAlchemy URL of the database; `postgresql+psycopg://…` selects PostgreSQL. "
        "The `--db` option of the commands wins over it.",
    )
    data_dir: Path = Field(
        Path("siks-data"),
        description="Where files live: reference extracts, verval run directories, estimated models, "
        "uploaded berita acara and public-submission photos.",
    )
    usulan_top_level: Level = Field(
        Level.PUSAT,
        description="Where this instance's approval chain ends: `pusat`, or `kabupaten` for a siks run by "
        "one Dinas Sosial (any level of the chain is accepted). Accepted usulan are applied when this "
        "level takes its forward step: `terima` at pusat, `sahkan` (pengesahan) at kabupaten.",
    )
    max_upload_mb: float = Field(10.0, gt=0, description="Largest berita acara upload accepted, in MB.")
    duckdb_memory: str = Field(
        "4GB",
        pattern=r"^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$",
        description="Memory limit of the DuckDB verval engine (DuckDB syntax, e.g. `4GB`, `512MB`).",
    )
    secret_key: SecretStr | None = Field(
        None,
        description="Key that signs session cookies and keys the hash of public requesters' IP addresses. "
        "Unset: a key generated once into `SIKS_SECRET_FILE`.",
    )
    secret_file: Path | None = Field(
        None,
        description="File holding the generated session key (mode 0600); unset: "
        "`$XDG_STATE_HOME/siks/secret_key`, else `~/.local/state/siks/secret_key`.",
    )
    cookie_secure: bool = Field(
        False,
        description="Mark the session cookie Secure (behind HTTPS); `siks serve --secure-cookie` sets it.",
    )

    max_body_mb: float = Field(
        64.0,
        gt=0,
        description="Largest request body accepted outside the public pages, in MB; a larger one gets 413 "
        "before it is read (the anonymous `/cek` pages have their own 6 MB limit).",
    )
    sqlite_busy_seconds: float = Field(
        10.0,
        gt=0,
        description="How long a SQLite write waits for another writer (an import) before giving up; the web "
        "then answers 503 with Retry-After, not an error page. PostgreSQL has no such wait.",
    )
    trusted_proxies: str = Field(
        "",
        description="Comma-separated addresses of reverse proxies whose `X-Forwarded-For`/`-Proto` are "
        "believed; empty (the default) trusts none. `siks serve --proxy-tepercaya` sets it.",
    )
    verval_engine: str = Field(
        "duckdb",
        pattern=r"^(duckdb|spark)$",
        description="Batch engine of `siks verval run`: `duckdb` (one machine) or `spark` (docs/scale.md); "
        "`--engine` wins over it.",
    )
    spark_master: str = Field(
        "local[2]", description="Spark master URL of the spark engine; under `spark-submit` its own master."
    )
    spark_driver_memory: str = Field("3g", description="Spark driver memory (not under `spark-submit`).")
    spark_shuffle_partitions: int = Field(4, gt=0, description="Spark shuffle partitions and parallelism.")
    spark_broadcast_mb: int = Field(
        0, ge=0, description="Spark broadcast-join threshold in MB; 0 turns broadcast joins off."
    )
    spark_materialise: str = Field(
        "cache",
        description="How the spark engine keeps intermediate tables: `cache` (memory and disk) or `parquet`.",
    )
    spark_adaptive: bool = Field(
        True,
        description="Spark adaptive query execution (AQE); off saved no time on one machine "
        "(docs/scale.md §2).",
    )
    dci_id: str = Field(
        "siks", description="This instance's sender/receiver id in DCI messages (docs/dci.md)."
    )
    dci_key_file: Path | None = Field(
        None,
        description="siks's own DCI signing key (a private JWK, mode 0600), created on first use; unset: "
        "`~/.local/state/siks/dci_key.json`.",
    )
    dci_crvs_url: str | None = Field(
        None, description="Base URL of the civil registry's DCI CRVS API for online padan (`siks dci padan`)."
    )
    dci_crvs_id: str = Field("crvs", description="The CRVS registry's id in DCI messages.")
    dci_crvs_client_id: str = Field("", description="siks's client id at the CRVS registry.")
    dci_crvs_secret: SecretStr = Field(
        SecretStr(""), description="siks's client secret at the CRVS registry."
    )

    @field_validator("usulan_top_level", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)


def env_name(field: str) -> str:
    return PREFIX + field.upper()


def settings() -> Settings:
    """The settings as the environment gives them now; a bad value raises `SettingsError` (Indonesian)."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_url=False):
            name = env_name(str(err["loc"][0])) if err.get("loc") else PREFIX + "*"
            problems.append(f"{name}: {_message(err)}")
        raise SettingsError("Pengaturan lingkungan tidak sah — " + "; ".join(problems)) from None


def _message(err: dict) -> str:
    kind, ctx = err.get("type", ""), err.get("ctx") or {}
    value = err.get("input")
    if kind in ("literal_error", "enum"):
        return f"nilai {value!r} tidak dikenal, pilih {ctx.get('expected', '').replace(' or ', ' atau ')}"
    if kind in ("float_parsing", "float_type"):
        return f"nilai {value!r} bukan angka"
    if kind in ("bool_parsing", "bool_type"):
        return f"nilai {value!r} bukan ya/tidak (pakai 1/0, true/false)"
    if kind == "greater_than":
        return f"nilai {value!r} harus lebih dari {ctx.get('gt')}"
    if kind == "string_pattern_mismatch":
        return f"nilai {value!r} bukan ukuran memori (contoh: 4GB, 512MB)"
    return f"nilai {value!r} tidak sah ({err.get('msg', kind)})"


# -- the docs table ----------------------------------------------------------------------------------------


def _type_name(field: str) -> str:
    annotation = Settings.model_fields[field].annotation
    names = {str: "text", Path: "path", float: "number", bool: "boolean (`1`/`0`, `true`/`false`)"}
    if annotation in names:
        return names[annotation]
    if field == "usulan_top_level":
        return " / ".join(f"`{level}`" for level in LEVELS)
    if field == "secret_key":
        return "text (secret)"
    if field == "secret_file":
        return "path"
    return str(annotation)


def _default(field: str) -> str:
    default = Settings.model_fields[field].default
    if default is None:
        return "unset"
    if isinstance(default, Level):
        return f"`{default.value}`"
    if isinstance(default, bool):
        return "`0`" if not default else "`1`"
    if isinstance(default, float) and default.is_integer():
        return f"`{int(default)}`"
    return f"`{default}`"


def docs_table() -> str:
    """The Markdown table of every setting, as docs/settings.md holds it."""
    lines = ["| variable | type | default | what it sets |", "|---|---|---|---|"]
    for field, info in Settings.model_fields.items():
        lines.append(
            f"| `{env_name(field)}` | {_type_name(field)} | {_default(field)} | {info.description} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(docs_table(), end="")
