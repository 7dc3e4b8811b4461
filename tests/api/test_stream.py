"""The event stream (`GET /api/v1/stream`): notices of what changed, under a sub-path and with a
token, resumable with Last-Event-ID, and refused (so the page polls) when too many are open."""
from __future__ import annotations

import json
import threading
import time

import requests


def append(log_path, entry):
    with open(log_path, "rb+") as f:
        f.seek(-1, 2)
        f.write(b"," + json.dumps(entry).encode() + b"]")


class Events:
    """Reads a text/event-stream in a thread: (id, event, data) triples as they come."""

    def __init__(self, url, headers=None):
        self.response = requests.get(url, stream=True, timeout=30, headers=headers or {})
        self.items, self.comments = [], 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        current = {}
        try:
            for line in self.response.iter_lines(decode_unicode=True):
                if line == "":
                    if "event" in current:
                        self.items.append((current.get("id"), current["event"], json.loads(current["data"])))
                    current = {}
                elif line.startswith(":"):
                    self.comments += 1
                else:
                    field, _, value = line.partition(": ")
                    current[field] = value
        except (requests.RequestException, AttributeError, ValueError):
            pass  # the test closed the stream

    def wait_for(self, predicate, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            found = [item for item in self.items if predicate(item)]
            if found:
                return found[-1]
            time.sleep(0.02)
        raise AssertionError(f"no such event within {timeout}s; got {self.items}")

    def close(self):
        """Hang up at once (closing the response would wait for the reader's next line)."""
        import socket

        try:  # the socket under requests' response: urllib3's, then http.client's reader
            self.response.raw._fp.fp.raw._sock.shutdown(socket.SHUT_RDWR)
        except (AttributeError, OSError):
            pass
        self.response.close()


def test_stream_through_a_sub_path_with_a_token_and_resumed(start_server, tmp_path):
    server = start_server(extra_args=("--base-url", "/trainui/", "--host", "0.0.0.0", "--token", "s3cret"))
    url = server.url.replace("0.0.0.0", "127.0.0.1")
    auth = {"Authorization": "Bearer s3cret"}
    run = tmp_path / "proj" / "live"
    run.mkdir(parents=True)
    (run / "log").write_text(json.dumps([{"iteration": 1, "loss": 1.0}]))
    project = requests.post(url + "api/v1/projects", json={"path": str(tmp_path / "proj")}, headers=auth,
                            timeout=10).json()["project"]
    assert requests.get(url + f"api/v1/stream?project={project['id']}", timeout=10).status_code == 401

    events = Events(url + f"api/v1/stream?project={project['id']}", auth)
    try:
        assert events.response.headers["Content-Type"].startswith("text/event-stream")
        first = events.wait_for(lambda e: e[1] == "result" and e[2]["entry_count"] == 1)
        append(run / "log", {"iteration": 2, "loss": 0.5})
        written = time.monotonic()
        second = events.wait_for(lambda e: e[1] == "result" and e[2]["entry_count"] == 2)
        print(f"entry written -> event: {time.monotonic() - written:.3f} s")
        assert second[2]["id"] == first[2]["id"] and float(second[0]) >= float(first[0])
    finally:
        events.close()

    # Reconnecting with the last id: what changed meanwhile comes, and nothing is lost.
    append(run / "log", {"iteration": 3, "loss": 0.25})
    server.wait_for(lambda: requests.get(url + f"api/v1/projects/{project['id']}/results", headers=auth,
                                         timeout=10).json()["results"][0]["entry_count"] == 3)
    resumed = Events(url + f"api/v1/stream?project={project['id']}", {**auth, "Last-Event-ID": second[0]})
    try:
        resumed.wait_for(lambda e: e[1] == "result" and e[2]["entry_count"] == 3)
    finally:
        resumed.close()


def test_a_result_page_stream_tells_of_commands_and_images_and_refusals_are_plain(trainui_server, tmp_path):
    from trainui import protocol

    run = tmp_path / "proj" / "job"
    run.mkdir(parents=True)
    (run / "log").write_text(json.dumps([{"iteration": 1}]))
    status = protocol.JobStatus(status="running", pid=0, host="elsewhere", heartbeat_at=time.time() + 3600)
    protocol.atomic_write_json(str(run / protocol.STATUS), status.to_json())
    project = trainui_server.create_project(tmp_path / "proj")
    (result,) = trainui_server.wait_for(lambda: trainui_server.results(project["id"]))
    events = Events(trainui_server.api_url + f"stream?result={result['id']}")
    try:
        events.wait_for(lambda e: e[1] == "result")
        events.wait_for(lambda e: e[1] == "assets" and e[2] == {"result_id": result["id"], "count": 0})
        _, posted = trainui_server.api("POST", f"results/{result['id']}/commands", json={"name": "stop"})
        events.wait_for(lambda e: e[1] == "command" and e[2]["command_id"] == posted["command"]["id"]
                        and e[2]["status"] == "PENDING")
    finally:
        events.close()
    assert requests.get(trainui_server.api_url + "stream?result=999999", timeout=10).status_code == 404
    assert requests.get(trainui_server.api_url + "stream", timeout=10).status_code == 400
    assert requests.get(trainui_server.api_url + f"stream?project={project['id']}&result=1", timeout=10).status_code == 400


def test_beyond_the_open_streams_a_server_serves_the_answer_is_503(start_server, tmp_path):
    server = start_server(extra_args=("--threads", "3"))  # a third of the threads: one stream
    (tmp_path / "p").mkdir()
    project = server.create_project(tmp_path / "p")
    first = Events(server.api_url + f"stream?project={project['id']}")
    try:
        time.sleep(0.5)
        busy = requests.get(server.api_url + f"stream?project={project['id']}", timeout=10)
        assert busy.status_code == 503 and busy.headers["Retry-After"]
        assert requests.get(server.api_url + "projects", timeout=10).status_code == 200  # the rest still served
    finally:
        first.close()
