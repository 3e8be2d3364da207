"""The Comfy API v2's errors as the SDK's: one table from comfy-sdk's typed API errors to
:mod:`ltx2sdk.errors`.

comfy-sdk turns each error answer of the v2 API (its JSON envelope: a ``code``, a message,
details) into a typed exception (``Unauthorized``, ``InvalidWorkflow``, ``QueueFull``...).
:data:`ERROR_TABLE` says, row by row, which of them (by comfy-sdk class, HTTP status or error
code) becomes which SDK exception, with which message; the first row that matches wins and
the last matches everything. :func:`translate` reads it; nothing else decides.

Message templates name the facts of one failure: ``{what}`` (the request, as messages name
it: ``"submit the job"``), ``{where}`` (the server's URL, no credential in it), ``{message}``
(the first line of the server's message, else its code), ``{code}``, ``{status}``,
``{job}`` (the job a request was about) and ``{key}`` (what is wrong with the API key: none
was given, or it was refused).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from comfy_sdk.exceptions import (
    BlobNotFound,
    Forbidden,
    HashMismatch,
    InsufficientCredits,
    InvalidWorkflow,
    MissingAsset,
    NotFound,
    QueueFull,
    Unauthorized,
)
from comfy_sdk.exceptions import ComfyError as SdkError

from ltx2sdk.backends.protocol import API_KEY_ENV
from ltx2sdk.errors import (
    LTX2Error,
    NodeError,
    PromptLostError,
    PromptRejectedError,
    ServerResponseError,
    ServerUnavailableError,
    UploadError,
)
from ltx2sdk.wording import one_line

__all__ = ["ERROR_TABLE", "ErrorRule", "Failure", "Statuses", "key_refused", "node_errors",
           "statuses", "translate"]

KEY_REFUSED = "refused the API key"
KEY_MISSING = f"needs an API key: set {API_KEY_ENV} (or pass api_key=..., or --api-key)"
KEY_MESSAGE = "the Comfy API v2 at {where} {key} (HTTP {status} {code})"


@dataclass(frozen=True)
class Statuses:
    """Some HTTP statuses: ``exact`` ones, and every one from ``at_least`` up
    (``Statuses(429, at_least=500)``: too many requests, and every server error)."""

    exact: tuple[int, ...] = ()
    at_least: int | None = None

    def __contains__(self, status: object) -> bool:
        if not isinstance(status, int):
            return False
        return status in self.exact or (self.at_least is not None and status >= self.at_least)

    def __bool__(self) -> bool:
        return bool(self.exact) or self.at_least is not None


def statuses(*exact: int, at_least: int | None = None) -> Statuses:
    """:class:`Statuses` as a table row writes them."""
    return Statuses(exact, at_least)


@dataclass(frozen=True)
class ErrorRule:
    """One row of the table: the comfy-sdk errors it takes and the SDK error they become.

    A comfy-sdk error matches when it is one of ``classes``, or its HTTP status is among
    ``statuses``, or its code among ``codes`` (a row with none of them matches every error);
    with ``about_a_job``, only when the request was about a job. ``status`` stands in for an
    error that carries no HTTP status.
    """

    raises: type[LTX2Error]
    message: str
    classes: tuple[type[SdkError], ...] = ()
    statuses: Statuses = Statuses()
    codes: tuple[str, ...] = ()
    about_a_job: bool = False
    status: int | None = None

    def matches(self, exc: SdkError, job: str | None) -> bool:
        if self.about_a_job and job is None:
            return False
        if not (self.classes or self.codes or self.statuses):
            return True  # the last row: everything else
        return (isinstance(exc, self.classes) or exc.http_status in self.statuses
                or (exc.code or "") in self.codes)


ERROR_TABLE: tuple[ErrorRule, ...] = (
    ErrorRule(ServerResponseError, KEY_MESSAGE, classes=(Unauthorized, Forbidden),
              statuses=statuses(401, 403), status=401),
    ErrorRule(ServerResponseError,
              "the Comfy API v2 at {where} refused {what}: insufficient credits ({message})",
              classes=(InsufficientCredits,)),
    ErrorRule(PromptRejectedError, "{message}", classes=(InvalidWorkflow,)),
    ErrorRule(UploadError,
              "{what}: the Comfy API v2 at {where} refused an input file: {message} [{code}]",
              classes=(MissingAsset, HashMismatch, BlobNotFound), statuses=statuses(413)),
    ErrorRule(PromptLostError,
              "the Comfy API v2 at {where} no longer knows job {job} (the server restarted, or "
              "the job was removed)", classes=(NotFound,), about_a_job=True),
    ErrorRule(ServerUnavailableError,
              "{what}: the Comfy API v2 at {where} cannot serve it now: {message} [{code}]",
              classes=(QueueFull,), statuses=statuses(429, at_least=500),
              codes=("upstream_unreachable",)),
    ErrorRule(ServerResponseError,
              "{what}: the Comfy API v2 at {where} answered HTTP {status}: {message} [{code}]"),
)
"""comfy-sdk's errors -> the SDK's, first match wins (see :class:`ErrorRule`)."""


@dataclass(frozen=True)
class Failure:
    """What a message says about one failed request besides the error itself."""

    what: str
    where: str
    authenticated: bool
    job: str | None = None


def translate(exc: SdkError, failure: Failure) -> LTX2Error:
    """comfy-sdk's typed API error as the SDK's, by the first row of :data:`ERROR_TABLE`
    that matches it."""
    rule = next(rule for rule in ERROR_TABLE if rule.matches(exc, failure.job))
    code = exc.code or "error"
    status = exc.http_status if exc.http_status is not None else rule.status
    text = rule.message.format(
        what=failure.what, where=failure.where, message=_first_line(exc.message) or code,
        code=code, status=status, job=failure.job,
        key=KEY_REFUSED if failure.authenticated else KEY_MISSING)
    if rule.raises is PromptRejectedError:
        return PromptRejectedError(code, text, node_errors(exc.details), raw=exc.details)
    if issubclass(rule.raises, ServerResponseError):
        return rule.raises(text, status=status)
    return rule.raises(text)


def key_refused(failure: Failure, status: int, code: str) -> ServerResponseError:
    """A refused (or missing) API key, as the table's first row says it, for an answer read
    without comfy-sdk's help (the readiness probe)."""
    return ServerResponseError(KEY_MESSAGE.format(
        where=failure.where, status=status, code=code,
        key=KEY_REFUSED if failure.authenticated else KEY_MISSING), status=status)


def node_errors(details: Any) -> list[NodeError]:
    """The node errors of a refused job: ComfyUI's own shape (``{id: {"errors": [...],
    "class_type"}}``, as comfy-api-proxy passes it on) or the v2 contract's
    (``{id: [{"field", "reason"}]}``). Whatever else is there is left out."""
    raw = details.get("node_errors") if isinstance(details, Mapping) else None
    found: list[NodeError] = []
    for node_id, entry in (raw.items() if isinstance(raw, Mapping) else ()):
        if isinstance(entry, Mapping):
            class_type = str(entry.get("class_type", "?"))
            items = entry.get("errors") or ()
        else:
            class_type, items = "?", entry if isinstance(entry, list) else ()
        for item in items:
            if not isinstance(item, Mapping):
                continue
            extra = item.get("extra_info")
            name = extra.get("input_name") if isinstance(extra, Mapping) else item.get("field")
            found.append(NodeError(
                node_id=str(node_id), class_type=class_type,
                type=str(item.get("type") or item.get("reason") or ""),
                message=str(item.get("message") or item.get("reason") or ""),
                details=str(item.get("details") or ""),
                input_name=name if isinstance(name, str) else None))
    return found


def _first_line(text: str) -> str:
    """The first line the server's message has, printable and at most 300 characters."""
    lines = [line for line in str(text).splitlines() if line.strip()]
    return one_line(lines[0], limit=300) if lines else ""
