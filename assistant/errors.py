"""Domain errors. The library raises these; the CLI prints one line and exits 1, the app shows
``st.error`` in plain Chinese. Each carries a message meant for an official, not a developer, made of
two attributes that callers read instead of taking the message apart: ``reason`` (what is wrong) and
``fix`` (what to do about it, or None).

PolicyAssistantError
├── DocumentError            a file could not be read as a policy
│   ├── UnsupportedFormat    not .txt / .docx / .pdf
│   ├── EncodingError        bytes that are not text in any encoding we know
│   └── NotAPolicy           text, but empty or without any clause structure
├── IndexUnusable            the search index cannot be used
│   ├── IndexMissing         nothing has been ingested yet
│   ├── IndexStale           corpus or model changed since the index was built
│   ├── IndexCorrupt         files damaged or inconsistent with the manifest
│   ├── IndexLocked          another ingest is running
│   ├── StoreUnavailable     Milvus or the database cannot be reached (down, wrong URI)
│   ├── StoreMismatch        a Milvus collection built with another model or dimension
│   └── SchemaOutdated       (also a DatabaseError, below)
├── QuestionError            a question that cannot be asked (empty, too long, not text)
├── ConfigError              a setting that cannot work (unknown model path, bad value)
├── DependencyMissing        an optional package is not installed
├── DatabaseError            the database behind the ledger cannot be used
│   ├── DatabaseUnreachable  no connection (server down, wrong address, unwritable file)
│   └── SchemaOutdated       the tables of the ledger or the store are older than the code (fix: db migrate)
└── LedgerError              a ledger request that cannot be carried out; nothing was written
    ├── EntryNotFound        no entry (or no policy) with that id
    ├── BadValue             a status outside the list, an unreadable date or number
    ├── NeedsConfirmation    a due date before the plan's date: repeat with --confirm
    ├── ConcurrentUpdate     the entry changed meanwhile (optimistic locking)
    └── AttachmentRefused    an attachment too large, of a type not accepted, or not what its name says
"""

from __future__ import annotations


class PolicyAssistantError(Exception):
    """Base of every error this package raises on purpose: ``str(error)`` is the reason, then the fix."""

    def __init__(self, reason: str, fix: str | None = None) -> None:
        self.reason = reason
        self.fix = fix
        super().__init__(f"{reason.rstrip('。')}。{fix}" if fix else reason)


class DocumentError(PolicyAssistantError):
    """A file could not be read as a policy document."""

    def __init__(self, path: str, reason: str, fix: str | None = None) -> None:
        Exception.__init__(self, f"{path}: {reason}" + (f"。{fix}" if fix else ""))
        self.path = path
        self.reason = reason
        self.fix = fix


class UnsupportedFormat(DocumentError):
    pass


class EncodingError(DocumentError):
    pass


class NotAPolicy(DocumentError):
    pass


REBUILD = "请运行：policy-assistant ingest 重建"


class IndexUnusable(PolicyAssistantError):
    """The index under ``index/`` cannot be used as it is; ``fix`` is usually the command that rebuilds it."""


class IndexMissing(IndexUnusable):
    pass


class IndexStale(IndexUnusable):
    pass


class IndexCorrupt(IndexUnusable):
    pass


class IndexLocked(IndexUnusable):
    pass


class StoreUnavailable(IndexUnusable):
    pass


class StoreMismatch(IndexUnusable):
    pass


class QuestionError(PolicyAssistantError):
    pass


class ConfigError(PolicyAssistantError):
    pass


class DependencyMissing(PolicyAssistantError, ImportError):
    """An optional dependency is missing; the message names the install line."""


class DatabaseError(PolicyAssistantError):
    """The ledger's database cannot be used as it is."""


class DatabaseUnreachable(DatabaseError):
    pass


class SchemaOutdated(DatabaseError, IndexUnusable):
    """The database's tables are older (or newer) than the program: the ledger's and the Milvus store's alike."""


class LedgerError(PolicyAssistantError):
    """A ledger request that cannot be carried out; nothing was written."""


class EntryNotFound(LedgerError):
    pass


class BadValue(LedgerError):
    pass


class NeedsConfirmation(LedgerError):
    pass


class ConcurrentUpdate(LedgerError):
    pass


class AttachmentRefused(LedgerError):
    pass
