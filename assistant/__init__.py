"""政策助手 policy-assistant: parse Chinese policy work plans, tabulate who does what by when, answer with citations."""

from .errors import PolicyAssistantError
from .policies import Corpus, Policy, read_corpus, read_policy
from .schema import Agency, Answer, Citation, Clause, Target, Task, Threshold
from .settings import Settings, load_settings

__all__ = [
    "Agency",
    "Answer",
    "Citation",
    "Clause",
    "Corpus",
    "Policy",
    "PolicyAssistantError",
    "Settings",
    "Target",
    "Task",
    "Threshold",
    "load_settings",
    "read_corpus",
    "read_policy",
]
