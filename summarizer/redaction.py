"""Keep API keys out of logs, error messages, reports and saved runs."""

from __future__ import annotations

import logging
import os
import re

_SECRET_ENV = re.compile(r"(API_KEY|_TOKEN|_SECRET|PASSWORD)$", re.IGNORECASE)
_KEY_SHAPES = re.compile(r"\b(sk|pk|rk|key|gsk|xai)-[A-Za-z0-9_\-]{12,}\b")
_extra: set[str] = set()


def register_secret(value: str | None) -> None:
    """Also redact this value (for keys passed as options, not through the environment)."""
    if value and len(value) >= 6:
        _extra.add(value)


def _secrets() -> list[str]:
    found = {v for k, v in os.environ.items() if _SECRET_ENV.search(k) and v and len(v) >= 6}
    return sorted(found | _extra, key=len, reverse=True)


def redact(text: str) -> str:
    """``text`` with every known secret value, and anything shaped like a key, masked."""
    for secret in _secrets():
        text = text.replace(secret, "***")
    return _KEY_SHAPES.sub(lambda m: m.group(1) + "-***", text)


class RedactingFilter(logging.Filter):
    """A logging filter that redacts every record: message, traceback and stack."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            # Formatters reuse a record's exc_text, so the redacted text is what they print.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


#: Loggers of the SDKs on the hosted path. litellm logs a provider's raw error body
#: at DEBUG, and a provider may echo the key it was sent ("Incorrect API key: sk-...").
SDK_LOGGERS = ("LiteLLM", "litellm", "openai", "httpx", "httpcore", "instructor")


def protect_loggers(prefixes: tuple[str, ...] = SDK_LOGGERS) -> None:
    """Redact records logged on these loggers and on their children that exist now.

    A filter on a logger (not a handler) applies whatever handlers the application
    attaches. Idempotent; call it after importing the SDKs.
    """
    names = {
        name
        for name in list(logging.Logger.manager.loggerDict)
        if name.split(".", 1)[0] in prefixes
    }
    for name in sorted(names | set(prefixes)):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in logger.filters):
            logger.addFilter(RedactingFilter())
