"""Input files by URL at a non-public address: refused by the check, before a run.

The safe fetcher refuses them when a job runs (``ltx2sdk.media.safe_fetch``); the check
(``ltx2 batch --check``, ``check_jobs``, the check a run makes first) says so up front, with
the line and the field, in the run's words: an IP literal, and (``--check``, ``check_jobs``,
``Batch.check``) a host name it resolves, once per name and bounded by the fetch timeout, to
such an address, or that does not resolve (the check a run makes first leaves names to the
fetch). Names other than ``localhost`` are resolved by a stand-in resolver (``fake_dns``):
nothing here touches the network.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ltx2sdk.app.batch.check import check_jobs
from ltx2sdk.app.batch.scheduler import run_batch
from ltx2sdk.app.cli.main import main
from ltx2sdk.errors import InvalidJobsError
from tests.helpers import catalog_server, free_port

SMALL = {"duration": 1, "width": 256, "height": 256}


def job(seed: int, **fields: Any) -> dict[str, Any]:
    return {"prompt": f"a fox, take {seed}", "seed": seed, **SMALL, **fields}


# name -> the addresses the stand-in resolver gives it (none: the name does not resolve)
NAMES = {"example.com": ["93.184.215.14"], "cdn.example.org": ["93.184.215.15"],
         "intranet.example.com": ["10.1.2.3"], "mixed.example.com": ["93.184.215.16", "10.0.0.7"],
         "nosuch.invalid": []}


@pytest.fixture(autouse=True)
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The names of :data:`NAMES` resolved without the network; the names asked, in order."""
    real = socket.getaddrinfo
    asked: list[str] = []

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in NAMES:
            return real(host, port, *args, **kwargs)  # localhost: the hosts file
        asked.append(host)
        if not NAMES[host]:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port or 0))
                for address in NAMES[host]]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield asked


PRIVATE = [
    ("http://169.254.169.254/x.png", "169.254.169.254 (link-local)"),
    ("http://127.0.0.1/x.png", "127.0.0.1 (loopback)"),
    ("http://[::1]/", "::1 (loopback)"),
    ("http://10.0.0.1/", "10.0.0.1 (private or special-purpose)"),
]


def test_check_refuses_literal_private_addresses_with_line_and_field(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text("".join(json.dumps(job(n, image_url=url)) + "\n"
                            for n, (url, _) in enumerate(PRIVATE, 1)))
    assert main(["batch", str(jobs), "--check"]) == 2
    out = capsys.readouterr().out.splitlines()
    assert out[:4] == [f"{jobs}:{n}: image_url: refusing to fetch from the non-public address "
                       f"{said}" for n, (_, said) in enumerate(PRIVATE, 1)]
    assert out[4] == "4 jobs: 4 invalid (lines 1, 2, 3, 4)"


def test_every_url_field_is_checked_and_public_hosts_pass() -> None:
    report = check_jobs([
        {"prompt": "a fox", "image_url": "http://8.8.8.8/a.png",
         "last_image_url": "https://[fd00::1]/b.png", **SMALL},
        {"prompt": "a fox", "model": "ltx-2.3", "image_url": "https://example.com/a.png",
         "audio_url": "http://192.168.1.5:8080/v.wav", **SMALL},
        {"prompt": "a fox", "image_url": "https://cdn.example.org/a.png", **SMALL},
    ])
    assert [(p.job, p.message) for p in report.problems] == [
        (1, "last_image_url: refusing to fetch from the non-public address fd00::1 (private "
            "or special-purpose)"),
        (2, "audio_url: refusing to fetch from the non-public address 192.168.1.5 (private "
            "or special-purpose)")]


def test_a_name_is_resolved_and_refused_in_the_run_s_words(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text("".join(json.dumps(job(n, image_url=url)) + "\n" for n, url in enumerate([
        "http://localhost/x.png", "https://intranet.example.com/x.png",
        "https://mixed.example.com/x.png", "https://nosuch.invalid/x.png",
        "https://example.com/x.png"], 1)))
    assert main(["batch", str(jobs), "--check"]) == 2
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"{jobs}:1: image_url: refusing to fetch from the non-public "
                             "address "), out  # 127.0.0.1 or ::1, as the hosts file orders them
    assert out[0].endswith(" (loopback; localhost resolves to it)"), out
    assert out[1:] == [
        f"{jobs}:2: image_url: refusing to fetch from the non-public address 10.1.2.3 (private "
        "or special-purpose; intranet.example.com resolves to it)",
        f"{jobs}:3: image_url: refusing to fetch from the non-public address 10.0.0.7 (private "
        "or special-purpose; mixed.example.com resolves to it)",
        f"{jobs}:4: image_url: cannot resolve nosuch.invalid: [Errno -2] Name or service not "
        "known",
        "5 jobs: 4 invalid (lines 1, 2, 3, 4)"]


def test_each_name_is_resolved_once_and_a_trusted_one_is_not_refused(
        fake_dns: list[str]) -> None:
    from ltx2sdk.app.generate import InputPolicy

    jobs = [job(n, image_url=f"https://intranet.example.com/{n}.png") for n in range(1, 4)]
    jobs.append(job(4, image_url="https://example.com/a.png",
                    last_image_url="https://example.com/b.png"))
    report = check_jobs(jobs)
    assert report.invalid_jobs == (1, 2, 3)
    assert fake_dns == ["intranet.example.com", "example.com"]  # once each, not per job
    trusted = check_jobs(jobs, input_policy=InputPolicy(trusted_hosts=("Intranet.Example.com",)))
    assert trusted.ok, trusted.lines()  # resolved (it must), not refused


def test_batch_check_resolves_names_in_python_too(tmp_path: Path) -> None:
    from ltx2sdk.app.batch.scheduler import Batch

    jobs = [job(1), job(2, image_url="https://nosuch.invalid/x.png")]
    report = Batch(jobs, f"http://127.0.0.1:{free_port()}", tmp_path / "out").check(
        on_servers=False)
    assert report.lines()[0] == ("job 2: image_url: cannot resolve nosuch.invalid: [Errno -2] "
                                 "Name or service not known")


def test_a_trusted_host_is_not_refused() -> None:
    from ltx2sdk.app.generate import InputPolicy

    jobs = [job(1, image_url="http://10.0.0.1/x.png"), job(2, image_url="http://[::1]/x.png")]
    report = check_jobs(jobs, input_policy=InputPolicy(trusted_hosts=("10.0.0.1", "[::1]")))
    assert report.ok, report.lines()


def test_a_run_refuses_to_start_and_skipping_counts_them_invalid(tmp_path: Path) -> None:
    jobs = [job(1), job(2, image_url="http://169.254.169.254/x.png")]
    with catalog_server(tmp_path / "srv") as srv:
        with pytest.raises(InvalidJobsError) as raised:
            run_batch(jobs, srv.url, tmp_path / "out")
        assert srv.received.prompts == []
        assert list(raised.value.problems) == [
            "job 2: image_url: refusing to fetch from the non-public address 169.254.169.254 "
            "(link-local)"]
        summary = run_batch(jobs, srv.url, tmp_path / "out2", skip_invalid=True)
    # the job's own error: counted invalid (a re-run would refuse it again), never retried
    p = summary.progress
    assert (p.ok, p.failed, p.invalid, p.retries) == (1, 1, 1, 0)


def test_a_name_refused_when_fetched_is_the_jobs_error_not_retried(tmp_path: Path) -> None:
    """``localhost`` passes the check a run makes first (it resolves no names: a name is the
    fetch's, which may find it resolving by then; ``--check`` resolves it); the run's fetcher
    resolves it to a loopback address and refuses it: the job's own error, counted invalid
    (a re-run would refuse it again), never retried and never the server's."""
    jobs = [job(1), job(2, image_url="http://localhost/x.png")]
    with catalog_server(tmp_path / "srv") as srv:
        summary = run_batch(jobs, srv.url, tmp_path / "out")
        assert len(srv.received.prompts) == 1 and srv.received.uploads == []
    p = summary.progress
    assert (p.ok, p.failed, p.invalid, p.retries) == (1, 1, 1, 0)
    lines = {json.loads(line)["job"]: json.loads(line)
             for line in (tmp_path / "out" / "results.jsonl").read_text().splitlines()}
    assert (lines[2]["error_kind"], lines[2]["attempts"]) == ("invalid", 1)
    assert lines[2]["error"].startswith("image_url: refusing to fetch from the non-public "
                                        "address 127.0.0.1 (loopback; localhost resolves")
