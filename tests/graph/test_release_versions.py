"""Release versions: strict where a person types one, lenient where a server reports one.

``--comfyui-version`` (and :func:`nearest_bundled`, :func:`parse_release`) takes ``0.26``,
``0.26.0`` or ``v0.26.0``; anything else (``0.26.x``, ``0.26-beta``, ``0.26.0rc1``) is refused
with one line naming the flag and the accepted forms, never read as 0.26.0. What a server
reports (``parse_version``: ``0.3.10-dev``, a git describe) stays readable.
"""

from __future__ import annotations

import pytest

from ltx2sdk.app.cli.main import main
from ltx2sdk.errors import LTX2Error, ReleaseVersionError
from ltx2sdk.graph.releases import nearest_bundled, parse_release, parse_version

JUNK = ["0.26.x", "0.26-beta", "0.26.0rc1", "0.26.0-rc1", "v", "", "0..26", "0.26.0.1",
        "main", "0.26 ", "1",
        # leading zeros: 0.026.0 is no release's name (guessing 0.26.0 might be wrong)
        "0.026.0", "00.26", "0.26.00", "v0.026",
        # digits of other scripts: Python's int() reads them, a version has ASCII digits
        "\u0660.\u0662\u0666.\u0660", "0.\u0662\u0666", "\uff10.\uff12\uff16.\uff10"]


@pytest.mark.parametrize("given", ["0.26", "0.26.0", "v0.26.0", "V0.26"])
def test_the_accepted_forms(given: str) -> None:
    assert parse_release(given) == (0, 26, 0)
    assert nearest_bundled(given) == "0.26.0"


@pytest.mark.parametrize("given", JUNK)
def test_junk_is_refused_in_python(given: str) -> None:
    with pytest.raises(ReleaseVersionError) as raised:
        parse_release(given)
    assert isinstance(raised.value, (LTX2Error, ValueError))
    assert str(raised.value) == (f"{given!r} is not a ComfyUI release: give MAJOR.MINOR or "
                                 "MAJOR.MINOR.PATCH, such as 0.26, 0.26.0 or v0.26.0")
    with pytest.raises(ReleaseVersionError):
        nearest_bundled(given)


@pytest.mark.parametrize("given", ["0.26.x", "0.26-beta", "0.26.0rc1",
                                   "\u0660.\u0662\u0666.\u0660"])
def test_junk_is_refused_on_the_command_line_naming_the_flag(
        given: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["build", "--example", "--comfyui-version", given])
    assert exited.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert "argument --comfyui-version:" in err[0]
    assert f"{given!r} is not a ComfyUI release" in err[0] and "0.26, 0.26.0 or v0.26.0" in err[0]


@pytest.mark.parametrize("given", ["0.26.x", "0.26.0rc1"])
def test_with_object_info_the_version_is_checked_too(
        given: str, tmp_path: pytest.TempPathFactory,
        capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["build", "--example", "--object-info", "x.json", "--comfyui-version", given])
    assert exited.value.code == 2
    assert "--comfyui-version" in capsys.readouterr().err


@pytest.mark.parametrize(("reported", "read"), [
    ("0.3.10-dev", (0, 3, 10)), ("v0.33.0-rc1", (0, 33, 0)), ("0.26", (0, 26, 0)),
    ("0.38.1+git.abc", (0, 38, 1)), ("main", None), (None, None),
    ("\u0660.\u0663\u0663.\u0660", None)])  # not a version: ASCII digits only
def test_a_version_a_server_reports_stays_lenient(reported: str | None,
                                                   read: tuple[int, ...] | None) -> None:
    assert parse_version(reported) == read
