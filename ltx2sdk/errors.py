"""Every exception the SDK raises on purpose, in one tree.

Everything derives from :class:`LTX2Error`, so callers can catch one type, and from the
built-in it resembles where that helps (a bad value is also a ``ValueError``, a deadline a
``TimeoutError``). Every message is one line that says what was wrong and where (a rejected
prompt adds a line per node error). ``tests/test_errors.py`` walks the package and fails on an
exception class outside this tree or missing from this drawing. ::

    LTX2Error
    +-- RequestError (ValueError)           a request that does not validate: each problem
    +-- RequestFieldError (ValueError)      a valid request no pipeline can make as asked
    |   +-- UnknownPipelineError            no pipeline for its model, type and mode
    +-- UnknownTemplateError (ValueError)   a name that is no official template a pipeline makes
    +-- InputFileError (ValueError)         an input file of a request cannot be used (field)
    |   +-- ImageInputError                 an image: not an image, too large, private URL
    |   +-- AudioInputError                 an audio file: not audio, too long, private URL
    |   +-- VideoInputError                 a video: not a video, cut short, over a cap, private URL
    +-- FetchError (ValueError)             a URL refused, or a fetch that failed
    |   +-- FetchFailedError                a fetch that failed (no address, no answer, HTTP
    |                                       error, cut short): possibly transient
    +-- FileContentError (ValueError)       a file's bytes are not the kind its name says
    +-- ServerUrlError (ValueError)         a server URL that cannot be used
    +-- ReleaseVersionError (ValueError)    a ComfyUI release written wrong (0.26.x, 0.26-beta)
    +-- WorkerConfigError (ValueError)      a RunPod worker setting that cannot be used
    +-- SettingError (ValueError)           an argument of a call that cannot be used (a
    |                                       timeout of True, nan or -1)
    +-- LocalFileError                      a file here could not be written (disk, permission)
    |   +-- OutputPathError (OSError)       a path named for output that cannot be used (a
    |       |                               folder, a parent that is a file or not writable)
    |       +-- OutputExistsError (FileExistsError)  the file named exists, and overwriting
    |                                                it was not asked for
    +-- GraphError (ValueError)             the graph is wrong: before any GPU time is spent
    |   +-- UnknownNodeTypeError            a class_type without a schema (strict graphs)
    |   +-- UnknownInputError               an input name the node does not have
    |   +-- MissingInputError               a required input not given
    |   +-- LinkTypeError                   a VAE into an IMAGE input; a literal where a link goes
    |   +-- InputValueError                 out of range, not among the options, wrong kind
    |   +-- GraphStructureError             no output node, a foreign handle, a cycle, bad JSON
    |   |   +-- EditorWorkflowError         an editor workflow (the UI's "Save") that cannot be read
    |   +-- IncompatibleServerError         a node or input the target ComfyUI release lacks
    +-- ComfyError                          on or with the server running the graph
    |   +-- ServerUnavailableError          cannot connect, or a request ran past its own limit
    |   |   +-- ServerUnreachableError      nobody answers at the URL (refused, unknown host)
    |   |   +-- ServerLostError             a batch's server went away with a job on it
    |   +-- ServerResponseError             an unexpected status, or an answer of the wrong shape
    |   +-- MissingApiKeyError (ValueError) a server that needs an API key, and none was given
    |   +-- PromptRejectedError             HTTP 400 at POST /prompt: each node error
    |   +-- ServerValidationError           the server's own rules would refuse (checked before)
    |   +-- ExecutionError                  a node raised while the prompt ran
    |   +-- ExecutionInterruptedError       the prompt was interrupted on the server
    |   +-- JobCancelledError               the caller cancelled (never queued, or interrupted)
    |   |   +-- JobNotStartedError          taken back from the server's queue: it never ran
    |   +-- PromptLostError                 the server forgot the prompt (restart, queue cleared)
    |   +-- JobTimeoutError (TimeoutError)  the job's deadline passed (the prompt is interrupted)
    |   +-- OutputError                     an output missing, not downloadable, or not whole
    |   +-- UploadError                     an input file the server would not take
    |   +-- RunPodJobError                  a RunPod job that failed or ended without a video
    +-- BatchError                          a batch as a whole
    |   +-- BatchSettingError (ValueError)  a batch's argument that cannot be used (no target)
    |   +-- TargetUnusableError             a target that cannot run any job (it is dropped)
    |   +-- TransientJobError               a job failure that may not happen again (retried)
    |   +-- NoTargetLeftError               every target of the batch is unusable
    |   +-- OutputFolderBusyError (RuntimeError)  another batch writes to the output folder
    |   +-- StoreClosedError (RuntimeError) a write after the batch closed its output folder
    |   +-- InvalidJobsError (ValueError)   jobs that cannot run, found before any ran
    |   +-- JobsFileError (FileNotFoundError)  the jobs file named is missing or no file
    +-- ComfyScriptError                    comfy-script missing, or a program that failed
    +-- CommandLineError                    the ltx2 command's own refusal (exit status ``code``)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ltx2sdk.wording import one_line

FETCH_MESSAGE_LIMIT = 400  # characters of a FetchError: what a server sent is cut short


class LTX2Error(Exception):
    """Base class of every error the SDK raises on purpose."""


class RequestError(LTX2Error, ValueError):
    """A request that does not validate (:class:`~ltx2sdk.request.GenerationRequest` or
    :class:`~ltx2sdk.request.ModelSet`, made in Python or from JSON): a field of the wrong
    kind or out of bounds, an unknown field, inputs that do not fit the type, a model, type
    and mode no pipeline makes.

    ``str()`` is one line, ``"invalid request: <field>: <problem>; ..."``. :meth:`errors` is
    the structured list, one dict per problem in pydantic's shape (``type``, ``loc``, ``msg``,
    ``input``, ``ctx``), so that each entry point can name the fields its own way (the CLI:
    by flag) without reading the words; a rule of the request model has its code as ``type``
    (:data:`~ltx2sdk.vocabulary.RequestRule`).
    """

    def __init__(self, message: str, errors: Iterable[Mapping[str, Any]] = ()) -> None:
        super().__init__(message)
        self._errors = tuple(dict(error) for error in errors)

    def errors(self) -> list[dict[str, Any]]:
        """Each problem: ``type`` (a code), ``loc`` (the field's path, ``()`` for a rule
        about the whole request), ``msg`` (its words), ``input`` and ``ctx`` (the rule's
        fields), as pydantic's ``ValidationError.errors()`` has them."""
        return [dict(error) for error in self._errors]

    def __reduce__(self) -> tuple[Any, ...]:
        # (pickled with its problems: a batch's worker process can hand it on whole)
        return type(self), (str(self), self._errors)


class RequestFieldError(LTX2Error, ValueError):
    """A request that validated field by field but cannot be made as asked (no pipeline for
    its model, type and mode; a length over the limit at its pipeline's frame rate).

    ``str()`` is ``"<field>: <reason>"``; :attr:`field` names the request field and
    :attr:`reason` says why, so each entry point can name the field its own way (a flag).
    """

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class InputFileError(LTX2Error, ValueError):
    """An input file of a request (an image, an audio file) that cannot be used: unreadable,
    over a limit, or at a URL that is refused. ``str()`` is ``"<field>: <message>"``;
    :attr:`field` names the request field it came from (``image_url``, ``audio_base64``)."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


class UnknownPipelineError(RequestFieldError):
    """No pipeline for a (model, type, mode).

    The message starts with the request field at fault (``"mode: ..."``), which is also
    :attr:`field`, and says what exists instead.
    """


class UnknownTemplateError(LTX2Error, ValueError):
    """A name that is no official template a pipeline makes: :attr:`name` is the name given,
    the message says the nearest one, or why no pipeline makes it yet."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"template {name!r}: {reason}")
        self.name = name
        self.reason = reason


class ImageInputError(InputFileError):
    """An input image that cannot be used; ``field`` is the request field it came from."""


class AudioInputError(InputFileError):
    """An input audio file that cannot be used; ``field`` is the request field it came from."""


class VideoInputError(InputFileError):
    """An input video that cannot be used; ``field`` is the request field it came from."""


class FetchError(LTX2Error, ValueError):
    """A URL that is refused, or a fetch that failed; the message says which and why.

    The message is always one printable line (what a server sent is escaped, long texts are
    shortened to :data:`FETCH_MESSAGE_LIMIT` characters), ready for a job's ``{"error": ...}``.
    """

    def __init__(self, message: str) -> None:
        super().__init__(one_line(message, limit=FETCH_MESSAGE_LIMIT))


class FetchFailedError(FetchError):
    """A fetch that could not be made or finished: the host name did not resolve, nobody
    answered, the time ran out, the server answered an HTTP error or cut the body short.
    Possibly transient (trying again later may work), unlike a plain :class:`FetchError`,
    a refusal by rule (an address that is not public, a URL or an answer out of bounds)
    that trying again meets again."""


class FileContentError(LTX2Error, ValueError):
    """The file's bytes are not the kind of file its name says (or not whole)."""


class ServerUrlError(LTX2Error, ValueError):
    """A server URL that cannot be used; the message is one line and says what to give."""


class ReleaseVersionError(LTX2Error, ValueError):
    """A ComfyUI release a person gave (``--comfyui-version``) that is not written as one:
    the message is one line and says the accepted forms."""


class WorkerConfigError(LTX2Error, ValueError):
    """A RunPod worker setting (an environment variable) that cannot be used."""


class SettingError(LTX2Error, ValueError):
    """An argument of a call that cannot be used, refused before anything is sent: a timeout
    that is no positive number of seconds (``True``, ``nan``, ``-1``)."""


class LocalFileError(LTX2Error):
    """A file on this machine could not be written: a full disk, a file size limit, no
    permission (the ``OSError`` is its cause). Neither the server's fault nor the network's:
    a batch does not retry it, and never runs a finished job again for it."""


class OutputPathError(LocalFileError, OSError):
    """A path named for output (a video file, a written graph, a batch's output folder)
    cannot be used: it is a folder where a file is wanted (or a file where a folder is), a
    folder on its way is a file, or the folder cannot be written in. Raised before any work.
    :attr:`path` is the path as given, :attr:`reason` the plain words (``"is a folder"``),
    so that each entry point can name it its own way (a flag)."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}" if path.strip() else reason)  # "": no ": ..."
        self.path = path
        self.reason = reason

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (self.path, self.reason)


class OutputExistsError(OutputPathError, FileExistsError):
    """The file named for output (``output=``, ``ltx2 generate -o``, ``ltx2 build -o``)
    exists and ``overwrite`` was not asked for: refused before any work, or, when the file
    appeared while the video was made, after it (the video is then left under its own
    name)."""


# --- building graphs --------------------------------------------------------------------


class GraphError(LTX2Error, ValueError):
    """A graph is wrong: raised while building it, before any GPU time is spent.

    ``node`` describes the node (title, class, position), ``input_name`` the input.
    """

    def __init__(self, message: str, *, node: str | None = None,
                 input_name: str | None = None) -> None:
        self.node = node
        self.input_name = input_name
        where = ""
        if node and input_name:
            where = f"{node}, input '{input_name}': "
        elif node:
            where = f"{node}: "
        super().__init__(where + message)


class UnknownNodeTypeError(GraphError):
    """The class_type has no schema (and the graph is strict)."""


class UnknownInputError(GraphError):
    """An input name the node type does not have."""


class MissingInputError(GraphError):
    """A required input was not given and has no default."""


class LinkTypeError(GraphError):
    """A link carries a type the input does not accept (a VAE into an IMAGE input)."""


class InputValueError(GraphError):
    """A literal of the wrong kind, outside min/max, or not among a combo's options."""


class GraphStructureError(GraphError):
    """Whole-graph problems: no output node, a foreign handle, a cycle, bad API JSON."""


class EditorWorkflowError(GraphStructureError):
    """An editor workflow (what ComfyUI's "Save" writes, as opposed to "Export (API)") that
    cannot be read: a malformed node or link, promoted widgets that do not add up, or no
    schemas to read its widget values with. The message names the node (id, title, type)."""


class IncompatibleServerError(GraphError):
    """The graph cannot be written for the target server's ComfyUI release: a node or an
    input it needs does not exist there (the message names the release that has it)."""


# --- talking to ComfyUI -----------------------------------------------------------------


class ComfyError(LTX2Error):
    """Something went wrong on or with the ComfyUI server."""


class ServerUnavailableError(ComfyError):
    """The server could not be reached (or did not become ready before the deadline)."""


class ServerUnreachableError(ServerUnavailableError):
    """Nobody answers at the server's URL: the connection is refused or not answered, there
    is no route, or the host name does not resolve, for as long as the caller waited (a few
    seconds unless it asked for longer). :attr:`url` is the server's (fit to show),
    :attr:`reason` the plain words (``"connection refused"``, ``"unknown host"``). A batch
    drops such a target."""

    def __init__(self, message: str, *, url: str = "", reason: str = "") -> None:
        super().__init__(message)
        self.url = url
        self.reason = reason


class ServerLostError(ServerUnavailableError):
    """A batch's server (native ComfyUI, Comfy API v2) went out of reach while it had a job
    (running or queued there): the server's loss, not the job's. The batch hands the job to
    its targets without a try counted (the first two times for one job: past them each
    loss is one of its tries, so a job that brings servers down gives up), and the server
    proves ready again before it takes another (or is dropped). ``held``: whether the job
    may be what the server was lost over (its prompt there and running, or first in line);
    one lost on its way there, or waiting behind another job, is not suspected, and its
    losses stay free."""

    def __init__(self, message: str, *, held: bool = True) -> None:
        super().__init__(message)
        self.held = held


class ServerResponseError(ComfyError):
    """The server answered with an unexpected status or a body that is not JSON."""

    def __init__(self, message: str, *, status: int | None = None, body: str = "") -> None:
        self.status = status
        self.body = body
        super().__init__(message)


class MissingApiKeyError(ComfyError, ValueError):
    """A server that needs an API key (Comfy Cloud), or a prompt with a ComfyUI partner node
    (the hosted LTX-2.5 API), and no key was given or found in ``$COMFY_API_KEY``. Raised
    before anything is sent (before the prompt is queued)."""


@dataclass(frozen=True)
class NodeError:
    """One problem ComfyUI reported for one node of a rejected prompt."""

    node_id: str
    class_type: str
    type: str
    message: str
    details: str = ""
    input_name: str | None = None

    def __str__(self) -> str:
        where = f"node {self.node_id} ({self.class_type})"
        if self.input_name:
            where += f" input '{self.input_name}'"
        detail = f": {self.details}" if self.details else ""
        return f"{where}: {self.message}{detail} [{self.type}]"


class PromptRejectedError(ComfyError):
    """ComfyUI refused the prompt (HTTP 400): the top-level error and each node error."""

    def __init__(self, error_type: str, message: str, node_errors: list[NodeError],
                 raw: Any = None) -> None:
        self.error_type = error_type
        self.node_errors = node_errors
        self.raw = raw
        lines = [f"ComfyUI rejected the prompt: {message} [{error_type}]"]
        lines += [f"  - {err}" for err in node_errors]
        super().__init__("\n".join(lines))


class ServerValidationError(ComfyError):
    """The graph needs what the server lacks: node types or model files.

    ``missing_nodes`` lists class types; ``missing_models`` lists
    ``(folder, file name)`` pairs, the folder being where the file goes under ``models/``.
    """

    def __init__(self, missing_nodes: list[str], missing_models: list[tuple[str, str]],
                 other: list[str] | None = None) -> None:
        self.missing_nodes = missing_nodes
        self.missing_models = missing_models
        self.other = other or []
        parts = []
        if missing_nodes:
            parts.append("missing node types (update ComfyUI): " + ", ".join(missing_nodes))
        if missing_models:
            parts.append("missing model files: " + ", ".join(
                f"models/{folder}/{name}" for folder, name in missing_models))
        parts += self.other
        super().__init__("the server cannot run this graph: " + "; ".join(parts))


class ExecutionError(ComfyError):
    """A node raised while the prompt ran (ComfyUI's ``execution_error``)."""

    def __init__(self, prompt_id: str, node_id: str, node_type: str, exception_type: str,
                 exception_message: str, traceback: list[str] | None = None) -> None:
        self.prompt_id = prompt_id
        self.node_id = node_id
        self.node_type = node_type
        self.exception_type = exception_type
        self.exception_message = exception_message
        self.traceback = traceback or []
        first_line = exception_message.strip().splitlines()[0] if exception_message.strip() else ""
        super().__init__(
            f"node {node_id} ({node_type}) failed: {exception_type}: {first_line}")


class ExecutionInterruptedError(ComfyError):
    """The prompt was interrupted (``execution_interrupted``)."""

    def __init__(self, prompt_id: str, node_id: str | None = None,
                 node_type: str | None = None) -> None:
        self.prompt_id = prompt_id
        self.node_id = node_id
        self.node_type = node_type
        at = f" at node {node_id} ({node_type})" if node_id else ""
        super().__init__(f"prompt {prompt_id} was interrupted{at}")


class JobCancelledError(ComfyError):
    """The caller cancelled the job: before its prompt was queued (it never will be), or
    while it ran (the prompt was interrupted). ``prompt_id`` is set in the second case."""

    def __init__(self, message: str, prompt_id: str | None = None) -> None:
        self.prompt_id = prompt_id
        super().__init__(message)


class JobNotStartedError(JobCancelledError):
    """The caller cancelled a job whose prompt still waited in the server's queue (queued
    ahead of the job running there): it was removed from the queue and never ran."""


class PromptLostError(ComfyError):
    """The server no longer knows the prompt (it restarted or the queue was cleared)."""


class JobTimeoutError(ComfyError, TimeoutError):
    """The overall deadline passed before the prompt finished."""


class OutputError(ComfyError):
    """The prompt finished but its outputs are missing or could not be downloaded."""


class UploadError(ComfyError):
    """An input file could not be uploaded (too large, refused)."""


class RunPodJobError(ComfyError):
    """A RunPod job that ended ``FAILED`` or ``CANCELLED`` (not by this client), or finished
    without a video: ``job_id`` is RunPod's id, ``error`` what the worker said."""

    def __init__(self, message: str, job_id: str, error: str = "") -> None:
        self.job_id = job_id
        self.error = error
        super().__init__(message)


# --- batches ------------------------------------------------------------------------------


class BatchError(LTX2Error):
    """A problem of a batch as a whole, or of one of its targets."""


class BatchSettingError(BatchError, ValueError):
    """An argument of a batch that cannot be used (no target, a concurrency below 1, a RunPod
    endpoint id that is not one): refused before anything runs."""


class TargetUnusableError(BatchError):
    """A target that cannot run any job: a key refused or missing, an endpoint that does not
    exist, an extra not installed. The batch stops sending it jobs."""


class TransientJobError(BatchError):
    """A job failed for a reason that may not happen again (a lost worker): retried."""


class NoTargetLeftError(BatchError):
    """Every target of the batch is unusable; the message says why for each. Jobs not run
    are left for the next run."""


class OutputFolderBusyError(BatchError, RuntimeError):
    """Another batch is writing to the same output folder."""


class StoreClosedError(BatchError, RuntimeError):
    """A write after the batch closed its output folder (a runner thread that outlived a
    cancelled batch): refused, so another batch that took the folder is not written into."""


class InvalidJobsError(BatchError, ValueError):
    """A batch's jobs were checked before any ran, and some cannot run (or there are none):
    nothing was run. ``problems`` holds every problem as ``FILE:LINE: ...``; the message
    quotes the first few."""

    def __init__(self, message: str, problems: list[str] | tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.problems = tuple(problems)


class JobsFileError(BatchError, FileNotFoundError):
    """The jobs file named (``JOBS.jsonl``) does not exist or is no file (a folder): nothing
    was run. Also a ``FileNotFoundError``, as it was before it had a class of its own."""


# --- interop ------------------------------------------------------------------------------


class ComfyScriptError(LTX2Error):
    """comfy-script is missing, or a ComfyScript program failed or queued no workflow."""


# --- the command line ---------------------------------------------------------------------


class CommandLineError(LTX2Error):
    """A failure the ``ltx2`` command reports itself: printed as one line, exit status
    ``code`` (2 for a usage error, 1 otherwise)."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code
