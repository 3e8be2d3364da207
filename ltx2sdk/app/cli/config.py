"""The ``ltx2`` configuration file: defaults for the flags that say where and how commands run.

Which file: ``--config FILE``, else ``$LTX2_CONFIG``, else ``config.toml`` in
``$XDG_CONFIG_HOME/ltx2/`` (``~/.config/ltx2/`` when that is unset or not absolute). A file
named by the flag or the variable must exist; the default one may be absent. Only the
commands that have ``--config`` (``generate``, ``check``, ``batch``) read it. ::

    server = "http://gpu-box:8188"     # generate, check, batch
    api = "auto"
    api_key_env = "MY_COMFY_KEY"       # the environment variable that holds the API key
    ready_timeout = 60
    output_dir = "~/videos"            # generate

    [generate]                         # a command's section outranks the top level
    timeout = 1800

    [batch]
    servers = ["http://gpu-a:8188", "http://gpu-b:8188"]
    endpoints = ["runpod:abc123"]
    jobs = 4

Precedence, per setting: a flag > its environment variable (``COMFY_URL`` for the server,
``COMFY_API_KEY`` for the key) > the command's ``[section]`` > the file's top level > the
built-in default. For ``batch``, the servers and endpoints are one setting: ``--server`` or
``--endpoint`` (or ``$COMFY_URL``) replaces every target of the file. Each value is checked
by its flag's own rules (``server`` as ``--server``, ``api`` among ``--api``'s choices), and
a key belongs to a section only if that command has the flag.

**API keys are never read from the file**: ``api_key_env`` names the environment variable
that holds one. A key written in the file (``api_key = ...``, or a key where a variable's
name belongs) is refused, with a message that does not repeat it, rather than warned about:
a config file is copied into dotfile repositories, backups and bug reports, so a key in it
has leaked once it is written; refusing stops the habit at the first run, where a warning
printed at every run is soon ignored.

**Unknown keys are refused** with one line naming the file, the key and the nearest known
key: a misspelt ``sever = ...`` that was ignored would send the work to the default server.

Import rule: part of the ``ltx2`` command (see :mod:`ltx2sdk.app.cli`); ``tomllib`` (or
``tomli`` before Python 3.11) is loaded only when a file is read.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

from ltx2sdk.app.cli.request_flags import read_capped
from ltx2sdk.errors import CommandLineError
from ltx2sdk.wording import nearest

__all__ = ["CONFIG_ENV", "MAX_SETTINGS_FILE_BYTES", "SETTINGS", "Deferred", "add_config_flag",
           "apply_config", "config_path", "defer_defaults"]

CONFIG_ENV = "LTX2_CONFIG"
SERVER_ENV = "COMFY_URL"  # read by the commands themselves when --server is not given
API_KEY_ENV = "COMFY_API_KEY"  # read by the backends when --api-key is not given
KEY_ENV_SETTING = "api_key_env"
TARGETS = ("server", "endpoint")  # batch's targets: given together or not at all


class _NotGiven:
    """A flag's default while the command line is parsed: it was left out."""

    def __repr__(self) -> str:
        return "(not given)"


_NOT_GIVEN = _NotGiven()
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SECRET_WORDS = ("key", "token", "secret", "password")


class Setting(NamedTuple):  # NamedTuples: made at import faster than dataclasses
    """A key of the file and the flag (``dest``) it gives a default to. ``many``: the key
    names a list, for a flag given once per value (``servers`` for ``--server``); the single
    key of a flag like that (``server``) is a list of one."""

    key: str
    dest: str
    many: bool = False


SETTINGS = (
    Setting("server", "server"),
    Setting("servers", "server", many=True),
    Setting("endpoints", "endpoint", many=True),
    Setting("api", "api"),
    Setting(KEY_ENV_SETTING, "api_key"),
    Setting("ready_timeout", "ready_timeout"),
    Setting("timeout", "timeout"),
    Setting("output_dir", "output_dir"),
    Setting("jobs", "concurrency"),
    Setting("retries", "retries"),
    Setting("retry_delay", "retry_delay"),
    Setting("trusted_hosts", "trusted_host", many=True),
    Setting("order", "order"),
    Setting("queue_ahead", "queue_ahead"),
)
_BY_KEY = {setting.key: setting for setting in SETTINGS}


def _settable(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    """The flags of one command the file may give defaults to, by ``dest`` (a required flag
    has no default to give)."""
    dests = {setting.dest for setting in SETTINGS}
    return {action.dest: action for action in parser._actions
            if action.dest in dests and action.option_strings and not action.required}


def _applies(setting: Setting, flags: Mapping[str, argparse.Action]) -> bool:
    """Whether a command with ``flags`` (:func:`_settable`) takes ``setting``: it has the flag,
    given once per value if the setting is a list."""
    action = flags.get(setting.dest)
    return action is not None and (not setting.many or
                                   isinstance(action, argparse._AppendAction))


def _commands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """The ``ltx2`` subcommands' parsers, by name."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def add_config_flag(commands: Any) -> None:
    """``--config FILE`` on each of ``commands`` (the ``ltx2`` subparsers) that has a flag the
    file can set."""
    for parser in commands.choices.values():
        if _settable(parser):
            group = parser.add_argument_group("settings")
            group.add_argument("--config", type=Path, metavar="FILE",
                               help=f"the settings file (default: ${CONFIG_ENV}, else "
                                    "$XDG_CONFIG_HOME/ltx2/config.toml, else "
                                    "~/.config/ltx2/config.toml); flags and environment "
                                    "variables outrank it")


class Deferred(NamedTuple):
    """The built-in defaults :func:`defer_defaults` took out of the parser, per command and
    flag: put back by :func:`apply_config` where neither a flag nor the file gives one."""

    defaults: Mapping[str, Mapping[str, Any]]
    commands: Mapping[str, argparse.ArgumentParser]


def defer_defaults(parser: argparse.ArgumentParser) -> Deferred:
    """Take the built-in defaults of the flags the file may set out of ``parser`` (a parser
    made for one command line), so that after parsing a flag left out can be told from one
    given with the default's value. Flags whose default is ``None`` or that are given once
    per value (an empty list) need nothing: their value says it."""
    taken: dict[str, dict[str, Any]] = {}
    for name, command in _commands(parser).items():
        for dest, action in _settable(command).items():
            if action.default is not None and not isinstance(action, argparse._AppendAction):
                taken.setdefault(name, {})[dest] = action.default
                action.default = _NOT_GIVEN
    return Deferred(taken, _commands(parser))


def config_path(flag: Path | None, env: Mapping[str, str]) -> tuple[Path, bool]:
    """The settings file, and whether it was named (``--config``, ``$LTX2_CONFIG``): a file
    that was named must exist."""
    if flag is not None:
        return flag, True
    if env.get(CONFIG_ENV, "").strip():
        return Path(env[CONFIG_ENV].strip()).expanduser(), True
    base = env.get("XDG_CONFIG_HOME", "").strip()
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".config"
    return root / "ltx2" / "config.toml", False


MAX_SETTINGS_FILE_BYTES = 1024 * 1024
"""The largest settings file read (a real one is a few hundred bytes)."""


def _read(path: Path, named: bool) -> dict[str, Any]:
    """The file's table (empty when the default file is absent). What is not a regular file
    (a FIFO, a device) or holds more than :data:`MAX_SETTINGS_FILE_BYTES` is refused before
    it is read."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:
        import tomli as tomllib
    try:
        if path.is_dir():
            raise CommandLineError(f"{path}: is a directory, not a settings file", 2)
        # capped, and a FIFO or a device refused unread: /dev/zero would fill the memory
        data = read_capped(path, MAX_SETTINGS_FILE_BYTES, str(path))
    except FileNotFoundError as exc:
        if not named:
            return {}
        raise CommandLineError(f"{path}: no such settings file", 2) from exc
    except OSError as exc:
        raise CommandLineError(f"{path}: cannot read it ({exc.strerror or exc})", 2) from exc
    try:
        return tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise CommandLineError(f"{path}: not a TOML file ({exc})", 2) from exc


def _nearest(word: str, known: list[str]) -> str:
    match = nearest(word, known)  # only a near miss: else the keys, listed
    return f" (did you mean {match!r}?)" if match else f" (known: {', '.join(known)})"


def _refuse_a_key(path: Path, where: str) -> CommandLineError:
    return CommandLineError(
        f"{path}: {where}: an API key is never read from the settings file (it leaks with "
        "the file); keep it in an environment variable and name that: "
        f"{KEY_ENV_SETTING} = \"{API_KEY_ENV}\"", 2)


def _check_keys(path: Path, table: dict[str, Any],
                commands: Mapping[str, argparse.ArgumentParser]) -> None:
    """Refuse a key no command knows, a key in a section whose command lacks its flag, two
    keys for one flag in one table, and an API key (wherever it is written)."""
    sections = {name: flags for name, parser in commands.items()
                if (flags := _settable(parser))}
    tables: list[tuple[str, str | None, dict[str, Any]]] = [("", None, table)]
    for key, value in table.items():
        if key in sections:
            if not isinstance(value, dict):
                raise CommandLineError(f"{path}: {key}: must be a [{key}] table of settings",
                                       2)
            tables.append((f"[{key}] ", key, value))
    for prefix, command, values in tables:
        known = ([s.key for s in SETTINGS if _applies(s, sections[command])] if command
                 else [*_BY_KEY, *sections])
        for key, value in values.items():
            where = f"{prefix}{key}"
            if command is None and key in sections:
                continue
            if key == KEY_ENV_SETTING and key in known:
                _key_env(path, where, value)
            elif key not in known:
                if any(word in key.lower() for word in _SECRET_WORDS):
                    raise _refuse_a_key(path, where)
                if isinstance(value, dict) and command is None:
                    near = nearest(key, sections)
                    hint = f" (did you mean [{near}]?)" if near else \
                        f" (sections: {', '.join(f'[{name}]' for name in sections)})"
                    raise CommandLineError(f"{path}: [{key}]: unknown section{hint}", 2)
                what = f"not a setting of ltx2 {command}" if command else "unknown key"
                raise CommandLineError(f"{path}: {where}: {what}{_nearest(key, known)}", 2)
        dests = [_BY_KEY[key].dest for key in values if key in _BY_KEY]
        for dest in {d for d in dests if dests.count(d) > 1}:
            both = " and ".join(k for k in values if k in _BY_KEY and _BY_KEY[k].dest == dest)
            raise CommandLineError(f"{path}: {prefix}{both}: give one of them", 2)


def _key_env(path: Path, where: str, value: Any) -> str:
    """``api_key_env``'s value: the name of an environment variable."""
    if not isinstance(value, str) or not _ENV_NAME.fullmatch(value):
        # perhaps the key itself: never repeated
        raise CommandLineError(f"{path}: {where}: must name an environment variable (like "
                               f"{API_KEY_ENV}), not hold the key", 2)
    return value


def _value(path: Path, where: str, setting: Setting, value: Any,
           action: argparse.Action) -> Any:
    """The file's ``value`` as the flag's own parsing makes it (type, choices; a list for a
    flag given once per value)."""
    if setting.key == KEY_ENV_SETTING:
        return _key_env(path, where, value)
    many = isinstance(action, argparse._AppendAction)
    items = value if setting.many else [value]
    if many and not setting.many and isinstance(value, list):
        items = value  # server = ["a", "b"] for batch: as servers
    if not isinstance(items, list) or not items:
        raise CommandLineError(f"{path}: {where}: must be a list of one or more values", 2)
    parsed = []
    for item in items:
        if isinstance(item, (dict, list, bool)):  # TOML's true is no number, a table no URL
            shown = ("true" if item else "false") if isinstance(item, bool) else \
                "a table" if isinstance(item, dict) else "a list"  # in TOML's words
            key = where.rpartition(" ")[2]  # "[batch] timeout": timeout
            raise CommandLineError(f"{path}: {where}: {shown} is not a value {key} takes", 2)
        text = str(item)
        try:
            result = action.type(text) if callable(action.type) else text
        except (argparse.ArgumentTypeError, ValueError) as exc:
            raise CommandLineError(f"{path}: {where}: {exc}", 2) from exc
        if action.choices is not None and result not in action.choices:
            choices = ", ".join(map(str, action.choices))
            raise CommandLineError(f"{path}: {where}: {text!r} is not one of {choices}", 2)
        if isinstance(result, Path):
            result = result.expanduser()
        parsed.append(result)
    return parsed if many else parsed[0]


def apply_config(args: argparse.Namespace, deferred: Deferred,
                 env: Mapping[str, str] | None = None) -> None:
    """Give each flag of ``args`` that the command line left out its default: from the
    environment (left to the command), else the settings file, else the built-in one that
    :func:`defer_defaults` took. Raises :class:`CommandLineError` (status 2) for a file that
    cannot be used."""
    env = os.environ if env is None else env
    command = str(getattr(args, "command", ""))
    builtin = dict(deferred.defaults.get(command, {}))
    if hasattr(args, "config"):  # a command that reads the file
        _from_file(args, deferred.commands, command, env, builtin)
    for dest, default in builtin.items():
        if getattr(args, dest, None) is _NOT_GIVEN:
            setattr(args, dest, default)


def _from_file(args: argparse.Namespace, commands: Mapping[str, argparse.ArgumentParser],
               command: str, env: Mapping[str, str], builtin: dict[str, Any]) -> None:
    flags = _settable(commands[command])
    path, named = config_path(args.config, env)
    table = _read(path, named)
    _check_keys(path, table, commands)
    chosen: dict[str, tuple[Setting, Any, str]] = {}
    unset: str | None = None  # the variable api_key_env names, when it is not set
    for prefix, values in (("", table), (f"[{command}] ", table.get(command, {}))):
        for key, value in values.items():  # the section last: it outranks the top level
            setting = _BY_KEY.get(key)
            if setting is not None and _applies(setting, flags):
                chosen[setting.dest] = (setting, value, f"{prefix}{key}")
    targets_given = any(getattr(args, dest, None) for dest in TARGETS) or \
        bool(env.get(SERVER_ENV, "").strip())
    for dest, (setting, value, where) in chosen.items():
        if dest in TARGETS and targets_given:
            continue
        if dest == "api_key":
            if args.api_key is None and not env.get(API_KEY_ENV):
                name = _key_env(path, where, value)
                args.api_key = env.get(name) or None
                unset = name if args.api_key is None else None
            continue
        current = getattr(args, dest, None)
        if current is not _NOT_GIVEN and current is not None and current != []:
            continue  # the flag was given
        setattr(args, dest, _value(path, where, setting, value, flags[dest]))
        builtin.pop(dest, None)
    if unset is not None and getattr(args, "api", None) != "comfyui" and not getattr(
            args, "quiet", False):
        # the key this command may send is missing: said once, not refused (a ComfyUI of
        # one's own needs none; --api comfyui says so, and sends none)
        print(f"ltx2: warning: {KEY_ENV_SETTING} names {unset}, which is not set",
              file=sys.stderr)
