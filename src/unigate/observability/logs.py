"""Structured logs: one JSON object per line, each carrying the id of the request it belongs to.

The request id is taken from the caller's `X-Request-Id` when it is a sensible token, made up
otherwise, and always returned in the response's `X-Request-Id`, so a user can quote it and an
operator can find every line of that call. `UNIGATE_LOG_FORMAT=text` gives classic lines instead, and
`short` (what `unigate demo` uses unless told otherwise) one brief line a request, for a person at a terminal.
"""

from __future__ import annotations

import contextvars
import itertools
import logging
import os
import re
import sys
import time
from typing import Any

import orjson

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("unigate_request_id", default=None)

# Ids a caller may choose: short, and only characters that are safe in a header and a log line.
_ACCEPTABLE_ID = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")
# Attributes every LogRecord has; anything else was passed with `extra=` and is logged as a field.
_STANDARD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime",
                                                                                         "taskName"}


# New ids: a random per-process prefix and a counter. Unique across processes and restarts without
# a uuid4 per request (which showed in profiles); ids identify, they are not secrets.
_ID_PREFIX = os.urandom(8).hex()
_id_counter = itertools.count(1)


def request_id_from(header: bytes | str | None) -> str:
    """The caller's id if acceptable, else a new one."""
    if header:
        value = header.decode("latin-1") if isinstance(header, bytes) else header
        if _ACCEPTABLE_ID.fullmatch(value):
            return value
    return f"{_ID_PREFIX}{next(_id_counter):016x}"


class JsonFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__()
        self._second = -1
        self._second_text = ""

    def _time(self, created: float) -> str:
        second = int(created)
        if second != self._second:  # one strftime per second, not per line (an access line per request)
            self._second, self._second_text = second, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        return f"{self._second_text}.{int((created - second) * 1000):03d}Z"

    def line(self, created: float, level: str, logger: str, message: str, pid: int | None,
             fields: dict[str, Any]) -> str:
        """One line: the standard members, the request id, then `fields` (a record's `extra=`)."""
        entry: dict[str, Any] = {
            "time": self._time(created),
            "level": level,
            "logger": logger,
            "message": message,
            "pid": pid,  # which worker of `unigate serve --workers N`
        }
        request_id = request_id_var.get()
        if request_id is not None:
            entry["request_id"] = request_id
        entry.update(fields)
        return orjson.dumps(entry, default=str).decode()

    def format(self, record: logging.LogRecord) -> str:
        fields = {key: value for key, value in record.__dict__.items()
                  if key not in _STANDARD_ATTRIBUTES and not key.startswith("_")}
        if record.exc_info:
            fields["exception"] = self.formatException(record.exc_info)
        return self.line(record.created, record.levelname.lower(), record.name, record.getMessage(), record.process,
                         fields)


def json_stream_handler(logger: logging.Logger) -> logging.StreamHandler | None:
    """The one handler `logger`'s INFO lines reach when it is a plain stream handler writing JSON with no
    filters on the way (what `unigate serve` configures); None for any other set-up (a test's capture,
    an operator's own handlers), whose lines go through the logging module as usual."""
    found: logging.Handler | None = None
    current: logging.Logger | None = logger
    while current is not None:
        if current.filters:
            return None
        for handler in current.handlers:
            if found is not None:
                return None
            found = handler
        if not current.propagate:
            break
        current = current.parent
    if (type(found) is not logging.StreamHandler or found.filters or found.level > logging.INFO
            or not isinstance(found.formatter, JsonFormatter)):
        return None
    return found


def write_info_line(logger: logging.Logger, message: str, fields: dict[str, Any]) -> None:
    """`logger.info(message, extra=fields)` with the same output, built directly when the line goes to a
    JSON stream handler: the logging module's record, lookups and formatting cost an access line about
    50 µs of a request's CPU, the direct line about 5 (docs/benchmarks.md, "A single call at the floor")."""
    handler = json_stream_handler(logger)
    if handler is None:
        logger.info(message, extra=fields)
        return
    formatter = handler.formatter
    assert isinstance(formatter, JsonFormatter)
    text = formatter.line(time.time(), "info", logger.name, message, os.getpid(), fields)
    handler.acquire()
    try:
        handler.stream.write(text + handler.terminator)
        handler.flush()
    except Exception:  # noqa: BLE001 - as the logging module: a failed log write must not fail the request
        pass
    finally:
        handler.release()


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        request_id = request_id_var.get()
        return f"{line} [request {request_id}]" if request_id else line


class ShortFormatter(logging.Formatter):
    """Lines for a person watching a terminal: `12:01:02 GET /unified/crm/accounts 200 3.1 ms` for a request,
    `12:01:02 WARNING unigate.x: message` for anything else; local time, no request id."""

    def format(self, record: logging.LogRecord) -> str:
        clock = time.strftime("%H:%M:%S", time.localtime(record.created))
        fields = record.__dict__
        if record.name == "unigate.access" and "duration_ms" in fields:
            line = f"{clock} {fields['method']} {fields['path']} {fields['status']} {fields['duration_ms']:.1f} ms"
            if fields.get("integration"):
                line += f" ({fields['integration']})"
        else:
            line = f"{clock} {record.levelname} {record.name}: {record.getMessage()}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


LOG_FORMATS = {"json": JsonFormatter, "text": TextFormatter, "short": ShortFormatter}


def _lean_records() -> None:
    """Lines name their logger, not their source line or thread: skip the per-record stack walk and
    thread lookup (the logging module's documented switches), a third of an access line's cost.
    `UNIGATE_ACCESS_LOG=off` drops the per-request lines and keeps every other one (docs/deploy.md)."""
    logging._srcfile = None  # type: ignore[attr-defined]
    logging.logThreads = False
    if os.environ.get("UNIGATE_ACCESS_LOG", "on").lower() in ("off", "0", "false", "no"):
        logging.getLogger("unigate.access").setLevel(logging.WARNING)


def log_format(default: str = "json") -> str:
    """UNIGATE_LOG_FORMAT when it names a format, else `default`."""
    chosen = os.environ.get("UNIGATE_LOG_FORMAT", "").lower()
    return chosen if chosen in LOG_FORMATS else default


def formatter() -> logging.Formatter:
    """The configured formatter; also called by uvicorn's logging set-up in every worker process."""
    _lean_records()
    return LOG_FORMATS[log_format()]()


def configure_logging(format_name: str | None = None) -> None:
    """Root logging for the `unigate` command: level from UNIGATE_LOG_LEVEL, format `format_name` or
    UNIGATE_LOG_FORMAT (JSON when neither says)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(LOG_FORMATS[format_name]() if format_name else formatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(os.environ.get("UNIGATE_LOG_LEVEL", "INFO").upper())
    _lean_records()
    logging.getLogger("alembic").setLevel(logging.WARNING)  # migration chatter on every start
    logging.getLogger("huey").setLevel(logging.WARNING)  # the webhook queue's line per job run (engine/webhooks.py)


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's own loggers through the same formatter (its default config would print plain text)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"unigate": {"()": formatter}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "unigate", "stream": "ext://sys.stderr"}},
        "loggers": {name: {"handlers": ["stderr"], "propagate": False}
                    for name in ("uvicorn", "uvicorn.error", "uvicorn.access")},
        "root": {"handlers": ["stderr"], "level": os.environ.get("UNIGATE_LOG_LEVEL", "INFO").upper()},
    }
