"""Policies on disk: files → parsed documents and task tables, with policy ids and versions.

A file's policy id and version come from ``corpus/policies.json`` when it names the file
({"file.txt": {"policy": "...", "version": "2025修订版", "date": "2025-06-01"}}), else from the
name: ``plan_v2.txt`` and ``plan@2025-06.txt`` are versions ``v2`` and ``2025-06`` of ``plan``; a
plain ``plan.txt`` is version ``v1``. The latest version of a policy is the one with the highest
date or version number.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TypeVar

from .clauses import PolicyDocument, parse_text
from .errors import DocumentError, NotAPolicy
from .loading import RawDocument, find_policy_files, load_file
from .records import read_record
from .schema import PolicyRecord, Problem, Task
from .tasks import build_tasks

METADATA_FILE = "policies.json"
# Office formats a policy often arrives in that are not read: named as failures instead of silently skipped.
UNREADABLE = (".doc", ".wps", ".rtf", ".odt", ".ofd")
_VERSIONED = re.compile(r"^(?P<policy>.+?)(?:[_\-]|@)(?P<version>v\d+(?:\.\d+)?|\d{4}(?:-\d{2}){0,2}|\d{8})$",
                        re.I)


@dataclass
class Policy:
    """One version of one policy: its document, its task table and where it came from."""

    document: PolicyDocument
    tasks: list[Task]
    path: Path
    sha256: str
    date: str = ""
    record: PolicyRecord | None = None

    @property
    def policy(self) -> str:
        return self.document.policy

    @property
    def version(self) -> str:
        return self.document.version

    @property
    def title(self) -> str:
        return self.record.title if self.record else self.document.title

    @property
    def problems(self) -> list[Problem]:
        return self.document.problems


@dataclass
class Failure:
    """A file that could not be read, and why, in plain Chinese."""

    path: str
    reason: str


@dataclass
class Corpus:
    policies: list[Policy] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)

    def latest(self, policy: str | None = None) -> list[Policy]:
        """The latest version of each policy (or of the named one)."""
        by_id: dict[str, Policy] = {}
        for p in oldest_first(self.policies):
            if policy is None or p.policy == policy:
                by_id[p.policy] = p
        return list(by_id.values())

    def versions(self, policy: str) -> list[Policy]:
        return oldest_first(p for p in self.policies if p.policy == policy)


class Versioned(Protocol):
    """Anything that is one version of a policy: a parsed Policy, an index's PolicyInfo."""

    @property
    def version(self) -> str: ...

    @property
    def date(self) -> str: ...


V = TypeVar("V", bound=Versioned)


def oldest_first(items: Iterable[V]) -> list[V]:
    """Versions in order, oldest first, by ``version_key``: the one home of version ordering."""
    return sorted(items, key=lambda p: version_key(p.version, p.date))


def version_key(version: str, date: str = "") -> tuple[str, float, str]:
    """Sort key of a version: by date if known, then by the number in v2 / 2025-06, then by label."""
    digits = re.findall(r"\d+(?:\.\d+)?", version)
    number = float(digits[0]) if digits and version.lower().startswith("v") else 0.0
    dated = date or (version if re.match(r"^\d{4}", version) else "")
    return (dated, number, version)


def identify(path: Path, metadata: dict[str, dict[str, str]] | None = None) -> tuple[str, str, str]:
    """(policy id, version, date) for a file."""
    meta = (metadata or {}).get(path.name, {})
    stem = path.stem
    m = _VERSIONED.match(stem)
    policy = meta.get("policy") or (m.group("policy") if m else stem)
    version = meta.get("version") or (m.group("version") if m else "v1")
    date = meta.get("date", "")
    return policy, version, date


def read_metadata(folder: Path) -> dict[str, dict[str, str]]:
    path = folder / METADATA_FILE
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text("utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def parse_raw(raw: RawDocument, policy: str, version: str, date: str = "") -> Policy:
    """Repair, parse and tabulate one loaded file."""
    document = parse_text(raw.text, policy, version, name=str(raw.path))
    if not document.items:
        raise NotAPolicy(str(raw.path), "未识别出编号条目（如“（一）”“1.”），不像是一份工作方案")
    document.sha256 = raw.sha256
    record = read_record(document, version, date).model_copy(update={"files": [str(raw.path)]})
    return Policy(document=document, tasks=build_tasks(document), path=raw.path, sha256=raw.sha256,
                  date=date or record.date, record=record)


def _renamed(policy: Policy, policy_id: str, version: str) -> Policy:
    """The same parsed policy under another id or version label (its task rows follow)."""
    if (policy.policy, policy.version) == (policy_id, version):
        return policy
    policy.document.policy, policy.document.version = policy_id, version
    tasks = [t.model_copy(update={"policy": policy_id, "version": version}) for t in policy.tasks]
    record = policy.record.model_copy(update={"policy": policy_id, "version": version}) if policy.record else None
    return Policy(document=policy.document, tasks=tasks, path=policy.path, sha256=policy.sha256, date=policy.date,
                  record=record)


def _title_key(title: str) -> str:
    return re.sub(r"[\s（）()《》“”\"]", "", title)


def group_copies(policies: list[Policy]) -> list[Policy]:
    """One policy per text and one id per title.

    Files with the same text (a .docx and the .pdf printed from it) are one policy version, listing both
    files. Files with the same title and different texts are versions of one policy: they keep the
    version labels their names give (plan_v2.txt) and, where two would share a label, are numbered
    v1, v2 … in order of their stated dates.
    """
    by_text: dict[str, Policy] = {}
    for policy in policies:
        key = policy.record.content_hash if policy.record else policy.sha256
        first = by_text.get(key)
        if first is None:
            by_text[key] = policy
        elif first.record and policy.record:
            first.record = first.record.model_copy(update={"files": first.record.files + policy.record.files})
    by_title: dict[str, list[Policy]] = {}
    for policy in by_text.values():
        by_title.setdefault(_title_key(policy.title) or policy.policy, []).append(policy)
    out: list[Policy] = []
    for group in by_title.values():
        ids = sorted({p.policy for p in group})
        labels = [p.version for p in group]
        if len(ids) == 1 and len(set(labels)) == len(labels):
            out.extend(group)
            continue
        ordered = oldest_first(group)
        if len(set(labels)) == len(labels):
            out.extend(_renamed(p, ids[0], p.version) for p in ordered)
        else:
            out.extend(_renamed(p, ids[0], f"v{n}") for n, p in enumerate(ordered, start=1))
    return out


def read_policy(path: Path, policy: str | None = None, version: str | None = None,
                max_bytes: int = 50 * 1024 * 1024) -> Policy:
    """Load and parse one policy file. Raises a DocumentError subclass with the reason."""
    path = Path(path)
    metadata = read_metadata(path.parent)
    found_policy, found_version, date = identify(path, metadata)
    return parse_raw(load_file(path, max_bytes), policy or found_policy, version or found_version, date)


def read_corpus(paths: list[Path], max_bytes: int = 50 * 1024 * 1024) -> Corpus:
    """Every policy file under ``paths``; a bad file is recorded as a failure and never stops the rest."""
    corpus = Corpus()
    for path in find_policy_files([Path(p) for p in paths]):
        if path.name == METADATA_FILE:
            continue
        try:
            corpus.policies.append(read_policy(path, max_bytes=max_bytes))
        except DocumentError as exc:
            corpus.failures.append(Failure(str(path), exc.reason))
    for folder in (Path(p) for p in paths if Path(p).is_dir()):
        for path in sorted(folder.rglob("*")):
            if path.suffix.lower() in UNREADABLE and path.is_file() and not path.name.startswith("."):
                corpus.failures.append(Failure(str(path), f"不支持的文件类型“{path.suffix}”，请另存为 .docx、.pdf 或 .txt 后再导入"))
    corpus.policies = group_copies(corpus.policies)
    return corpus
