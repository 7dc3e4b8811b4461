"""A rule's webhook against a real local HTTP receiver: the message Slack, Discord and Mattermost
take; the URL a secret (masked when shown, kept across a change); a failing receiver retried with
a growing delay and given up on after the last attempt; a hanging one never holds up ingestion."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from trainui.ingest.notifier import Notifier
from trainui.store import Store
from trainui.store.rules import notifications


class Receiver:
    """A webhook receiver on loopback; ``answers`` are the statuses it gives, in turn (then 200)."""

    def __init__(self, answers=(), hang: float = 0.0):
        self.bodies, self.answers, self.hang = [], list(answers), hang
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                receiver.bodies.append(body)
                if receiver.hang:
                    time.sleep(receiver.hang)
                self.send_response(receiver.answers.pop(0) if receiver.answers else 200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/SECRET-KEY"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made = []

    def make(*args, **kwargs):
        made.append(Receiver(*args, **kwargs))
        return made[-1]
    yield make
    for r in made:
        r.close()


def nan_rule(url):
    return {"name": "NaN alarm", "condition": {"kind": "nan", "key": "loss"}, "action": {"kind": "notify", "url": url}}


def remote_run_with_rule(app, rule, run_uid="webhook-run-1", project="hooks"):
    _, body = app.api("POST", "runs", json={"project": project, "run_uid": run_uid})
    result = body["result"]
    status, made = app.api("POST", f"projects/{result['project_id']}/rules", json=rule)
    assert status == 201, made
    return result, made["rule"]


def upload(app, rid, first, losses):
    status, body = app.api("POST", f"results/{rid}/batches", json={
        "status": {"status": "running"},
        "log": {"first_entry": first, "entries": [{"iteration": first + i + 1, "loss": v} for i, v in enumerate(losses)]}})
    assert status == 200, body


def test_a_firing_posts_one_message_and_the_url_stays_a_secret(app, receiver):
    hook = receiver()
    result, rule = remote_run_with_rule(app, nan_rule(hook.url))
    assert "SECRET-KEY" not in json.dumps(rule) and rule["action"]["url_masked"] is True
    assert "SECRET-KEY" not in json.dumps(app.api("GET", f"projects/{result['project_id']}/rules")[1])
    status, body = app.api("PATCH", f"rules/{rule['id']}", json={"name": "renamed",
                                                                  "action": {"kind": "notify"}})
    assert status == 200 and "SECRET-KEY" not in json.dumps(body)

    upload(app, result["id"], 0, [1.0, "NaN", "NaN", 0.5])
    (firing,) = app.api("GET", f"results/{result['id']}/firings")[1]["firings"]
    assert firing["outcome"] == "queued"
    assert Notifier(Store(app.db)).run_pending() == 1
    (body,) = hook.bodies  # the URL kept through the change above
    assert "renamed" in body["text"] and body["content"] == body["text"]
    assert body["trainui"]["entry"] == 1 and body["trainui"]["result_id"] == result["id"]
    (firing,) = app.api("GET", f"results/{result['id']}/firings")[1]["firings"]
    assert (firing["outcome"], firing["message"]) == ("notified", "HTTP 200")
    assert Notifier(Store(app.db)).run_pending() == 0  # posted once


def test_a_failing_receiver_is_retried_with_a_growing_delay_then_given_up(app, receiver, monkeypatch):
    monkeypatch.setattr(notifications, "FIRST_DELAY", 0.2)
    monkeypatch.setattr(notifications, "MAX_ATTEMPTS", 4)
    flaky = receiver(answers=[500, 503])
    result, _ = remote_run_with_rule(app, nan_rule(flaky.url))
    upload(app, result["id"], 0, ["NaN"])
    notifier, tried_at = Notifier(Store(app.db)), []
    deadline = time.time() + 10
    while len(flaky.bodies) < 3 and time.time() < deadline:
        if notifier.run_pending():
            tried_at.append(time.time())
        time.sleep(0.02)
    assert len(flaky.bodies) == 3, "two failures, then the third attempt is taken"
    assert tried_at[2] - tried_at[1] > tried_at[1] - tried_at[0] >= 0.2  # 0.2 s, then 0.4 s
    (firing,) = app.api("GET", f"results/{result['id']}/firings")[1]["firings"]
    assert firing["outcome"] == "notified"

    gone = receiver(answers=[500] * 10)
    result, _ = remote_run_with_rule(app, nan_rule(gone.url), run_uid="webhook-run-2", project="gone")
    upload(app, result["id"], 0, ["NaN"])
    deadline = time.time() + 15
    while time.time() < deadline:
        notifier.run_pending()
        (firing,) = app.api("GET", f"results/{result['id']}/firings")[1]["firings"]
        if firing["outcome"] != "queued":
            break
        time.sleep(0.05)
    assert firing["outcome"] == "failed" and "after 4 attempts" in firing["message"] and len(gone.bodies) == 4


def test_a_webhook_url_must_be_http_without_credentials(app):
    _, body = app.api("POST", "runs", json={"project": "hooks", "run_uid": "webhook-run-3"})
    project_id = body["result"]["project_id"]
    for url in ("file:///etc/passwd", "javascript:alert(1)", "http://user:pw@example.com/x", "ftp://x/y", ""):
        status, body = app.api("POST", f"projects/{project_id}/rules", json=nan_rule(url))
        assert status in (400, 422) and body["message"], (url, status, body)
    assert app.api("GET", f"projects/{project_id}/rules")[1]["rules"] == []


@pytest.mark.slow
def test_a_hanging_receiver_never_holds_up_ingestion(trainui_server, receiver, tmp_path):
    hanging = receiver(hang=20)
    server = trainui_server
    status, body = server.api("POST", "runs", json={"project": "hooks", "run_uid": "webhook-run-4"})
    result = body["result"]
    server.api("POST", f"projects/{result['project_id']}/rules", json=nan_rule(hanging.url))
    server.api("POST", f"results/{result['id']}/batches", json={
        "status": {"status": "running"}, "log": {"first_entry": 0, "entries": [{"iteration": 1, "loss": "NaN"}]}})
    server.wait_for(lambda: hanging.bodies, timeout=10)  # the notifier is stuck in that post now
    root = tmp_path / "live"
    (root / "run").mkdir(parents=True)
    (root / "run" / "log").write_text(json.dumps([{"iteration": 1, "loss": 1.0}]))
    project = server.create_project(root)
    started = time.time()
    server.wait_for(lambda: server.results(project["id"]), timeout=10)
    (root / "run" / "log").write_text(json.dumps([{"iteration": i, "loss": 1.0} for i in range(1, 3)]))
    server.wait_for(lambda: server.results(project["id"])[0]["entry_count"] == 2, timeout=10)
    assert time.time() - started < 5, "ingestion went on while the webhook hung"
