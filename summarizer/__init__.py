"""summarizer: structured, evidence-grounded summaries of negotiation articles.

The public surface: ``Summarizer`` (one loaded model: ``summarize``, ``asummarize``,
``summarize_many``), the one-line ``summarize`` / ``asummarize``, ``Settings``, the
result model ``NegotiationSummary``, ``track`` (a series of articles: what changed,
as a ``Timeline``), the error base ``SummarizerError``, and
``MockBackend`` / ``register_backend`` for tests and custom engines.
"""

from .api import Summarizer, asummarize, summarize
from .backends import MockBackend, register_backend
from .errors import SummarizerError
from .schema import NegotiationSummary
from .settings import Settings
from .tracking import Timeline, track

__all__ = [
    "MockBackend",
    "NegotiationSummary",
    "Settings",
    "Summarizer",
    "SummarizerError",
    "Timeline",
    "asummarize",
    "register_backend",
    "summarize",
    "track",
]
__version__ = "0.2.0"
