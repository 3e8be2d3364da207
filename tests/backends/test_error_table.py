"""The Comfy API v2's error table, walked: each row is reached by the errors it names, and
makes the SDK error and message it says."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

pytest.importorskip("comfy_sdk")

from comfy_low.errors import ApiError
from comfy_sdk.exceptions import ComfyError as SdkError
from comfy_sdk.exceptions import RouterError, to_sdk_error

from ltx2sdk.backends.comfy_api_v2.error_table import (
    ERROR_TABLE,
    ErrorRule,
    Failure,
    key_refused,
    translate,
)
from ltx2sdk.errors import (
    PromptLostError,
    PromptRejectedError,
    ServerResponseError,
    ServerUnavailableError,
    UploadError,
)

FAILURE = Failure("submit the job", "http://v2.example", authenticated=False, job="job-1")


def sdk_error(cls: type[SdkError], *, code: str | None, status: int | None,
              message: str = "the server's word\nand more", details: Any = None) -> SdkError:
    """An instance of comfy-sdk's ``cls``, however its constructor spells the code."""
    if issubclass(cls, RouterError):
        return cls(message, error_type=code, http_status=status, details=details)
    if "retry_after" in inspect.signature(cls.__init__).parameters and cls is not SdkError:
        return cls(message, retry_after=0, code=code, http_status=status, details=details)
    return cls(message, code=code, http_status=status, details=details)


def examples(rule: ErrorRule) -> list[SdkError]:
    """Errors the row names: one per class, status and code it lists."""
    found = [sdk_error(cls, code="some_code", status=None) for cls in rule.classes]
    found += [sdk_error(SdkError, code="some_code", status=status)
              for status in (*rule.statuses.exact, rule.statuses.at_least) if status]
    found += [sdk_error(SdkError, code=code, status=None) for code in rule.codes]
    return found or [sdk_error(SdkError, code="teapot", status=418)]


@pytest.mark.parametrize("index", range(len(ERROR_TABLE)))
def test_each_row_is_reached_and_makes_what_it_says(index: int) -> None:
    rule = ERROR_TABLE[index]
    for error in examples(rule):
        # no earlier row takes it: every row is reachable
        first = next(i for i, r in enumerate(ERROR_TABLE) if r.matches(error, FAILURE.job))
        assert first == index, (error, ERROR_TABLE[first])
        made = translate(error, FAILURE)
        assert type(made) is rule.raises
        status = error.http_status if error.http_status is not None else rule.status
        expected = rule.message.format(
            what="submit the job", where="http://v2.example", message="the server's word",
            code=error.code, status=status, job="job-1",
            key="needs an API key: set COMFY_API_KEY (or pass api_key=..., or --api-key)")
        assert expected in str(made) and "\n" not in str(made)
        if isinstance(made, ServerResponseError):
            assert made.status == status


def test_the_last_row_takes_everything_else() -> None:
    last = ERROR_TABLE[-1]
    assert not (last.classes or last.codes or last.statuses) and \
        last.raises is ServerResponseError
    made = translate(sdk_error(SdkError, code=None, status=None, message=""), FAILURE)
    assert str(made) == ("submit the job: the Comfy API v2 at http://v2.example answered "
                         "HTTP None: error [error]")


@pytest.mark.parametrize(("status", "code", "job", "expected"), [
    (401, "unauthorized", None, ServerResponseError),
    (403, "forbidden", None, ServerResponseError),
    (400, "invalid_workflow", None, PromptRejectedError),
    (413, "payload_too_large", None, UploadError),
    (404, "not_found", "job-1", PromptLostError),
    (404, "not_found", None, ServerResponseError),  # a 404 about no job is no lost job
    (429, "queue_full", None, ServerUnavailableError),
    (429, "rate_limited", None, ServerUnavailableError),
    (503, "upstream_unreachable", None, ServerUnavailableError),
    (502, "bad_gateway", None, ServerUnavailableError),
    (409, "conflict", None, ServerResponseError),
])
def test_answers_as_comfy_sdk_types_them_land_where_the_table_says(
        status: int, code: str, job: str | None, expected: type) -> None:
    error = to_sdk_error(ApiError(f"HTTP {status}", code=code, http_status=status))
    made = translate(error, Failure("GET job job-1", "http://v2.example", True, job))
    assert type(made) is expected, (error, made)


def test_a_refused_workflow_keeps_each_node_error() -> None:
    details = {"node_errors": {
        "3": {"class_type": "SaveVideo", "errors": [
            {"type": "value_not_in_list", "message": "codec", "details": "h265",
             "extra_info": {"input_name": "codec"}}]},
        "5": [{"field": "width", "reason": "must be a multiple of 32"}]}}
    error = to_sdk_error(ApiError("invalid", code="invalid_workflow", http_status=400,
                                  details=details))
    made = translate(error, FAILURE)
    assert isinstance(made, PromptRejectedError) and made.error_type == "invalid_workflow"
    assert [(e.node_id, e.class_type, e.type, e.input_name) for e in made.node_errors] == [
        ("3", "SaveVideo", "value_not_in_list", "codec"),
        ("5", "?", "must be a multiple of 32", "width")]


def test_a_key_is_said_refused_or_missing() -> None:
    given = Failure("poll", "http://v2.example", authenticated=True)
    assert str(key_refused(given, 401, "unauthorized")) == (
        "the Comfy API v2 at http://v2.example refused the API key (HTTP 401 unauthorized)")
    assert "needs an API key: set COMFY_API_KEY" in str(
        key_refused(FAILURE, 403, "forbidden"))
    unauthorized = sdk_error(type(to_sdk_error(ApiError("x", code="unauthorized",
                                                        http_status=401))),
                             code="unauthorized", status=None)
    assert str(translate(unauthorized, given)).endswith("(HTTP 401 unauthorized)")
