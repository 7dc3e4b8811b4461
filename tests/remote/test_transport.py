"""The job's HTTP layer and the Run's remote settings: what is retried, what is refused, and that a
server that never answers costs a job a bounded wait at its end and nothing before."""
from __future__ import annotations

import time

import pytest

import trainui
from remote_helpers import free_port
from trainui.trainer.transport import Api, Backoff, Refused, Unreachable, normalize_server
from trainui.trainer.uploader import Uploader


@pytest.mark.parametrize("given, expected", [
    ("host:5000", "http://host:5000"), ("http://host:5000/", "http://host:5000"),
    ("https://example.org/trainui/", "https://example.org/trainui"), (" http://127.0.0.1:5000 ", "http://127.0.0.1:5000"),
])
def test_server_addresses_are_normalized(given, expected):
    assert normalize_server(given) == expected


@pytest.mark.parametrize("bad", ["", "ftp://host", "http://"])
def test_a_malformed_server_address_is_refused(bad):
    with pytest.raises(ValueError):
        normalize_server(bad)


def test_backoff_grows_to_its_ceiling_and_starts_over_after_a_success():
    backoff = Backoff(initial=0.5, maximum=2.0, jitter=0.0)
    assert [backoff.next() for _ in range(5)] == [0.5, 1.0, 2.0, 2.0, 2.0]
    assert backoff.failures == 5
    backoff.reset()
    assert backoff.next() == 0.5 and backoff.failures == 1
    jittery = Backoff(initial=1.0, maximum=1.0, jitter=0.2)
    assert all(0.8 <= jittery.next() <= 1.2 for _ in range(50))


def test_nothing_listening_is_unreachable_and_a_4xx_is_refused(remote):
    with pytest.raises(Unreachable):
        Api(f"http://127.0.0.1:{free_port()}", timeout=5).call("GET", "projects")
    api = Api(remote.url, remote.token)
    with pytest.raises(Refused) as gap:  # a batch that starts beyond what the server holds
        result = api.call("POST", "runs", {"project": remote.project, "run_uid": "a" * 32, "name": "gap"})["result"]
        api.call("POST", f"results/{result['id']}/batches", {"log": {"first_entry": 5, "entries": [{"v": 1}]}})
    assert (gap.value.status, gap.value.code, gap.value.body["entry_count"]) == (409, "gap", 0)
    with pytest.raises(Refused) as elsewhere:  # a job token outside its project
        api.call("POST", "runs", {"project": "another", "run_uid": "b" * 32})
    assert elsewhere.value.status == 403


def test_run_needs_a_project_with_a_server_and_a_usable_address(tmp_path, monkeypatch):
    monkeypatch.delenv("TRAINUI_PROJECT", raising=False)
    with pytest.raises(ValueError, match="TRAINUI_PROJECT"):
        trainui.Run(str(tmp_path / "a"), server="http://127.0.0.1:5000", progress=False, handle_signals=False)
    monkeypatch.setenv("TRAINUI_SERVER", "ftp://nowhere")
    monkeypatch.setenv("TRAINUI_PROJECT", "p")
    with pytest.raises(ValueError, match="not an http"):
        trainui.Run(str(tmp_path / "b"), progress=False, handle_signals=False)
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()  # refused before writing anything


def test_an_unreachable_server_costs_the_job_only_a_bounded_wait_at_its_end(tmp_path, capfd):
    dead = f"http://127.0.0.1:{free_port()}"
    out = tmp_path / "run"
    run = trainui.Run(str(out), progress=False, handle_signals=False)
    uploader = Uploader(run.out, dead, "p").start()
    for i in range(1, 501):
        run.log({"main/loss": 1.0 / i}, iteration=i)
    run.close()
    began = time.monotonic()
    assert uploader.close(timeout=1.0) is False
    assert time.monotonic() - began < 10
    err = capfd.readouterr().err
    assert "cannot reach the trainui server" in err
    assert "500 log entries" in err and f"trainui sync {out}" in err
