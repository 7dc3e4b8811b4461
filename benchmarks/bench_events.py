"""What `GET /results/<id>/events` costs against `GET /results/<id>/commands` (the list the result
page already fetches), measured in one run on one database: a result with N answered commands
(adjust_hyperparams answers as the trainer writes them) and 100 resumes in its job status.

    python benchmarks/bench_events.py [--commands 10 1000 10000]
"""
from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import sys
import time
import uuid
from pathlib import Path

from trainui import protocol
from trainui.config import ServerConfig
from trainui.ingest.sync import sync_result
from trainui.store import Database
from trainui.store.models import Command
from trainui.store.schema import ensure_schema
from trainui.web import create_app

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script too
from benchmarks.common import ms  # noqa: E402


def answered(result_id: int, i: int) -> Command:
    body = {"hyperparams": [{"lr": 0.1 / (i + 1), "momentum": 0.9}], "mode": "scale", "checked_steps": 2,
            "changes": [{"param_group": 0, "key": "lr", "previous": 0.1 / i if i else 0.1, "asked": 0.1 / (i + 1),
                         "in_force": 0.1 / (i + 1), "schedule": "no scheduler registered"}]}
    return Command(uid=uuid.uuid4().hex, result_id=result_id, name="adjust_hyperparams", body={"lr": 0.1 / (i + 1)},
                   status=protocol.SUCCESS, created_at=time.time(), responded_at=time.time(), response=body,
                   iteration=10 * i, epoch=i // 10, ranks=2, elapsed_time=0.5 * i)


def result_with(root: Path, db: Database, client, n: int) -> int:
    run = root / f"run{n}"
    run.mkdir(parents=True)
    (run / "log").write_text(json.dumps([{"iteration": i, "main/loss": 1.0 / i} for i in range(1, 11)]))
    status = protocol.JobStatus(status=protocol.FINISHED, started_at=time.time(), heartbeat_at=time.time(), resumes=[
        {"at": time.time(), "iteration": 50 * k, "epoch": k, "elapsed_time": 2.0 * k, "after": "crashed",
         "previous_iteration": 50 * k + 3} for k in range(protocol.MAX_RESUMES)])
    (run / ".trainui").mkdir()
    (run / protocol.STATUS).write_text(json.dumps(status.to_json()))
    project = client.post("/api/v1/projects", json={"path": str(root), "name": root.name}).get_json()
    project_id = project["project"]["id"] if "project" in project else client.get("/api/v1/projects").get_json()[
        "projects"][0]["id"]
    rid = sync_result(db, project_id, str(run))
    with db.session(write=True) as session:
        session.add_all(answered(rid, i) for i in range(n))
    return rid


def median_ms(client, path: str, repeat: int) -> tuple[float, int]:
    samples, size = [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(path)
        samples.append(time.perf_counter() - started)
        assert response.status_code == 200, response.get_data(as_text=True)
        size = len(response.get_data())
    return statistics.median(samples), size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, nargs="+", default=[10, 1000, 10000])
    parser.add_argument("--repeat", type=int, default=20)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{Path(tmp) / 'bench.db'}")
        ensure_schema(db)
        client = create_app(ServerConfig(db_url=db.url), db).test_client()
        root = Path(tmp) / "project"
        print(f"{'commands':>9}  {'events':>22}  {'commands list (baseline)':>26}  ratio")
        for n in options.commands:
            rid = result_with(root, db, client, n)
            repeat = max(3, options.repeat if n <= 1000 else options.repeat // 4)
            events, events_size = median_ms(client, f"/api/v1/results/{rid}/events", repeat)
            commands, commands_size = median_ms(client, f"/api/v1/results/{rid}/commands", repeat)
            print(f"{n:>9}  {ms(events):>10} {events_size / 1e3:>8.0f} kB  {ms(commands):>14} "
                  f"{commands_size / 1e3:>8.0f} kB  {events / commands:.2f}")
        db.dispose()


if __name__ == "__main__":
    main()
