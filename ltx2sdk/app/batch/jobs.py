"""The jobs of a batch: one request each, read lazily, each with a key made from its content.

A batch's jobs come from a JOBS.jsonl file (one request per line, in the RunPod worker's
input format: the request object itself, or ``{"input": {...}}``; blank lines and lines
starting with ``#`` are skipped, and the line numbers still count them) or from any iterable
of such mappings (a list in a notebook). Each becomes a
:class:`BatchJob`; a line that is not JSON, not an object or not a valid
:class:`~ltx2sdk.request.GenerationRequest` becomes a job with a ``problem`` (it fails at
once, without being sent anywhere).

**The key** (:func:`job_key`) says whether two jobs are the same job: the first 32 hex
digits of the SHA-256 of the request's canonical JSON (the validated request with every
field at its default left out, keys sorted, no spaces). So key order, spacing, a field given
at its default value or a prompt's surrounding blanks do not change the key; any other
content does, the seed included. **A request without a seed is keyed as given**: the same
seedless line is the same job on every run (it is made once, with whatever seed the server
drew, which its result records), not a new random video each time. Give seeds to make
several videos of one prompt. A job that cannot be validated is keyed by its raw content.

Reading holds one line at a time: memory does not grow with the number of jobs.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from builders import CheckedRequest, check_request
from ltx2sdk.errors import InvalidJobsError, JobsFileError, RequestError, RequestFieldError
from ltx2sdk.request import GenerationRequest

__all__ = ["BatchJob", "JobSource", "canonical_json", "is_comment_or_blank", "job_key", "key_id",
           "make_job"]

GIVEN_JOBS = "the given jobs"
"""The :attr:`JobSource.name` of jobs that are not a file."""
KEY_HEX_DIGITS = 32
"""128 bits of SHA-256: no two different requests of any batch share a key."""
MAX_DEPTH = 32
"""How deeply a job's content may nest (a request nests a few levels): deeper content is a
job's problem, not a ``RecursionError`` of the JSON and validation libraries."""


@dataclass(frozen=True)
class BatchJob:
    """One job of a batch.

    ``number`` is its line number in the JOBS.jsonl file (or its 1-based position in an
    iterable); ``input`` the request as given (what a RunPod worker receives), ``None`` when
    the line is not a JSON object; ``checked`` the validated request with its pipeline
    (checked once, here), ``None`` when ``problem`` says (in one line) why the job cannot
    run.
    """

    number: int
    key: str
    input: Mapping[str, Any] | None
    checked: CheckedRequest | None
    problem: str | None = None

    @property
    def request(self) -> GenerationRequest | None:
        """The validated request (``None`` with a problem)."""
        return self.checked.request if self.checked is not None else None

    @property
    def label(self) -> str:
        """How messages name the job: ``job 3``."""
        return f"job {self.number}"


def canonical_json(data: Any) -> str:
    """``data`` as JSON with sorted keys and no spaces: one text for one content."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)


def job_key(content: Any) -> str:
    """The key of a job whose canonical content is ``content`` (see the module)."""
    digest = hashlib.sha256(canonical_json(content).encode("utf-8")).hexdigest()
    return digest[:KEY_HEX_DIGITS]


def key_id(key: str) -> int:
    """A compact stand-in for ``key`` in the sets a batch keeps of every job (its first 64
    bits as a number: a third of the memory of the text, and no two keys of any real batch
    share it)."""
    return int(key[:16], 16)


def canonical_request(request: GenerationRequest) -> dict[str, Any]:
    """What a request's key is made of: every field not at its default, as JSON values."""
    content: dict[str, Any] = request.model_dump(mode="json", exclude_defaults=True)
    return content


def _json_kind(value: Any) -> str:
    """What a JSON value is, in JSON's words (``a string``, ``a list``, ``true``, ``null``), not
    Python's (``str``); what a text says is never repeated."""
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "a list" if isinstance(value, list) else f"a {type(value).__name__}"


def make_job(number: int, raw: Any) -> BatchJob:
    """The job for one request as given (a mapping, or ``{"input": mapping}``): validated
    and keyed. Never raises for bad content: that is the job's ``problem``."""
    if isinstance(raw, Mapping) and isinstance(raw.get("input"), Mapping):
        raw = raw["input"]  # the RunPod request format works as it is
    if _deeper_than(raw, MAX_DEPTH):
        return BatchJob(number, _structure_key(raw), None, None,
                        f"a job must be a request, not content nested more than {MAX_DEPTH} "
                        "levels deep")
    if not isinstance(raw, Mapping):
        hint = " (a jobs file has one request per line, JSON Lines, not a JSON array)" \
            if isinstance(raw, list) else ""
        return BatchJob(number, job_key({"not an object": _jsonable(raw)}), None, None,
                        f"a job must be a JSON object (a request), not "
                        f"{_json_kind(raw)}{hint}")
    try:  # a lone surrogate ("\ud800") is text no file, URL or server can take
        canonical_json(raw).encode("utf-8")
    except UnicodeEncodeError:
        return BatchJob(number, _structure_key(raw), None, None,
                        "the request holds text that is not Unicode (a lone surrogate such as "
                        "\\ud800)")
    except (TypeError, ValueError):
        pass  # not JSON values: validation says which field
    fields = dict(raw)
    try:
        request = GenerationRequest.model_validate(fields)
    except RequestError as exc:
        return BatchJob(number, job_key({"invalid": _jsonable(fields)}), fields, None,
                        str(exc))
    try:  # a pipeline exists for it and can make it as asked: nothing is sent otherwise
        ok = check_request(request)
    except RequestFieldError as exc:
        return BatchJob(number, job_key({"invalid": _jsonable(fields)}), fields, None,
                        f"invalid request: {exc}")
    return BatchJob(number, job_key(canonical_request(request)), fields, ok)


def _jsonable(value: Any) -> Any:
    """``value`` if it is JSON as it is, else its text (for keying what cannot be run)."""
    try:
        canonical_json(value)
    except (TypeError, ValueError):
        return repr(value)
    return value


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether ``value`` nests (mappings, lists, tuples) more than ``limit`` levels (walked
    without recursion)."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, Mapping):
            children: Iterable[Any] = item.values()
        elif isinstance(item, (list, tuple)):
            children = item
        else:
            continue
        if depth >= limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def _structure_key(value: Any) -> str:
    """A key for content that cannot be JSON text (nested too deeply, lone surrogates): the
    SHA-256 of its structure and values, walked without recursion."""
    digest = hashlib.sha256(b"unrunnable:")
    stack: list[Any] = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, Mapping):
            digest.update(b"{%d" % len(item))
            for key, child in sorted(item.items(), key=lambda pair: repr(pair[0]))[::-1]:
                stack.append(child)
                stack.append(key)
        elif isinstance(item, (list, tuple)):
            digest.update(b"[%d" % len(item))
            stack.extend(reversed(item))
        else:
            digest.update(repr(item).encode("utf-8", "backslashreplace") + b"\0")
    return digest.hexdigest()[:KEY_HEX_DIGITS]


def is_comment_or_blank(line: bytes) -> bool:
    """Whether a JOBS.jsonl line is no job: blank, or a ``#`` comment (after any blanks)."""
    stripped = line.strip()
    return not stripped or stripped.startswith(b"#")


class JobSource:
    """The jobs of a JOBS.jsonl file or of an iterable, read again on each iteration.

    ``JobSource(path)`` reads the file lazily, a line at a time; ``JobSource(list_of_dicts)``
    takes the mappings in order. ``repeatable`` says whether it can be read more than once
    (a file, a sequence) or not (a one-shot iterator).
    """

    def __init__(self, jobs: str | Path | Iterable[Mapping[str, Any]]) -> None:
        self._path: Path | None = None
        self._items: Iterable[Any] | None = None
        if isinstance(jobs, (str, Path)):
            if isinstance(jobs, str) and not jobs.strip():  # Path("") would be "." (a folder)
                raise JobsFileError("jobs is an empty path; give a jobs file name "
                                    "(JOBS.jsonl)")
            self._path = Path(jobs)
            if str(jobs) == "-":  # read twice (checked, then run) and resumed: a file
                raise JobsFileError("-: jobs are read from a file, not standard input: save "
                                    "them to a JOBS.jsonl file first")
            if not self._path.is_file():  # (a JobsFileError is a FileNotFoundError too)
                what = ("a folder, not a jobs file" if self._path.is_dir() else
                        "not a regular file (a pipe or a device is read once; save the jobs "
                        "to a JOBS.jsonl file)" if self._path.exists() else "no such jobs file")
                raise JobsFileError(f"{self._path}: {what}")
        elif isinstance(jobs, Mapping):
            raise InvalidJobsError("jobs must be a JOBS.jsonl path or an iterable of requests, "
                            "not one request (put it in a list)")
        elif isinstance(jobs, (bytes, bytearray)) or not isinstance(jobs, Iterable):
            # refused here, not as an AssertionError when the batch reads them
            raise InvalidJobsError(f"jobs must be a JOBS.jsonl path or an iterable of "
                                   f"requests (a list of dicts), not {type(jobs).__name__}")
        else:
            self._items = jobs
        self.repeatable = self._path is not None or isinstance(jobs, Sequence)
        self._iterated = False

    @property
    def is_file(self) -> bool:
        """Whether the jobs come from a JOBS.jsonl file."""
        return self._path is not None

    @property
    def name(self) -> str:
        """The file's path, or ``"the given jobs"``."""
        return str(self._path) if self._path is not None else GIVEN_JOBS

    def __iter__(self) -> Iterator[BatchJob]:
        if not self.repeatable and self._iterated:
            raise RuntimeError("these jobs were given as a one-shot iterator and have been "
                               "read already; pass a list or a file to read them again")
        self._iterated = True
        if self._path is not None:
            return self._read_file(self._path)
        items = self._items if self._items is not None else ()
        return (make_job(number, item) for number, item in enumerate(items, 1))

    def select(self, wanted: Callable[[int], bool]) -> Iterator[BatchJob]:
        """The jobs whose number ``wanted`` accepts, in order; the others are skipped unread
        (a line of the file is not parsed). Only for a :attr:`repeatable` source: a batch
        reads one group of jobs at a time this way (see :mod:`.grouping`)."""
        if not self.repeatable:
            raise RuntimeError("only jobs given as a file or a sequence can be selected")
        if self._path is not None:
            return self._read_file(self._path, wanted)
        items = self._items if self._items is not None else ()
        return (make_job(number, item) for number, item in enumerate(items, 1)
                if wanted(number))

    @staticmethod
    def _read_file(path: Path, wanted: Callable[[int], bool] | None = None
                   ) -> Iterator[BatchJob]:
        with open(path, "rb") as handle:
            for number, line in enumerate(handle, 1):
                if number == 1:
                    line = line.removeprefix(b"\xef\xbb\xbf")  # a BOM some editors write
                if is_comment_or_blank(line) or (wanted is not None and not wanted(number)):
                    continue
                # a problem names no line or file: whoever reports it says where
                try:
                    text = line.decode("utf-8")
                except UnicodeDecodeError:
                    yield BatchJob(number, job_key({"bytes": line.hex()}), None, None,
                                   "not UTF-8 text")
                    continue
                try:
                    raw = json.loads(text)
                except RecursionError:  # nested too deeply for the JSON reader
                    yield BatchJob(number, job_key({"bytes": line.hex()}), None, None,
                                   "nested too deeply to be a request")
                    continue
                except ValueError as exc:
                    yield BatchJob(number, job_key({"text": text.strip()}), None, None,
                                   f"not JSON ({exc}; a jobs file has one whole request "
                                   "per line: JSON Lines)")
                    continue
                yield make_job(number, raw)
