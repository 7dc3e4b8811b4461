"""Helpers for the browser tests: result directories on disk and what a chart draws."""
from __future__ import annotations

import json
import math
import os
from pathlib import Path


def write_result(directory: Path, args: dict, entries: list[dict]) -> Path:
    """A Chainer-format result directory: `log` (JSON array of reports) and `args`."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "args").write_text(json.dumps(args))
    tmp = directory / ".log.tmp"
    tmp.write_text(json.dumps(entries))
    os.replace(tmp, directory / "log")  # Chainer rewrites the whole file; atomically here
    return directory


def curve(n: int, lr: float, start: int = 1, every: int = 10) -> list[dict]:
    """`n` reports of a decaying loss, one every `every` iterations from `start`."""
    entries = []
    for i in range(start, start + n):
        it = i * every
        loss = 2.3 * math.exp(-it * lr / 50) + 0.05 * (1 + math.sin(it))
        entries.append({"iteration": it, "epoch": it // 100, "elapsed_time": it * 0.01,
                        "main/loss": loss, "main/accuracy": 1 - loss / 2.5, "lr": lr})
    return entries


def chart_state(page, index: int = 0) -> dict:
    """What chart `index` draws: its main traces (run id, key, points, last x) and axis settings."""
    return page.evaluate(
        """(index) => {
            const plot = document.querySelectorAll('.chart-card .chart-plot')[index];
            if (!plot || !plot.data) return null;
            const mains = plot.data.filter((t) => t.meta && t.meta.role === 'main');
            return {
              mains: mains.map((t) => ({rid: t.meta.rid, key: t.meta.key, n: t.x.length, lastX: t.x[t.x.length - 1],
                                        width: t.line.width, type: t.type})),
              roles: plot.data.map((t) => t.meta && t.meta.role),
              rawOpacity: plot.data.filter((t) => t.meta && t.meta.role === 'raw').map((t) => t.opacity),
              xTitle: plot.layout.xaxis.title.text,
              yType: plot.layout.yaxis.type,
            };
        }""", index)


def logs_answers(response) -> list[tuple[int, dict, str]]:
    """(result id, answer, asked since-cursor or None) of a logs response: one result's
    (`/results/<id>/logs`) or several (`/logs?results=12,13:340`)."""
    from urllib.parse import parse_qs, urlparse

    body = response.json()
    query = parse_qs(urlparse(response.url).query)
    if "results" in body:
        asked = {}
        for item in query["results"][0].split(","):
            rid, _, since = item.partition(":")
            asked[int(rid)] = int(since) if since else None
        return [(int(rid), answer, asked.get(int(rid))) for rid, answer in body["results"].items()]
    since = query.get("since", [None])[0]
    return [(body["result_id"], body, int(since) if since else None)]


def wait_until(predicate, timeout: float = 15, interval: float = 0.1, page=None):
    """Poll `predicate()` until it returns something truthy; return it, or fail after `timeout`.

    Pass `page` when the predicate only reads recorded events: Playwright's sync API delivers
    events while the test waits inside a Playwright call, not during time.sleep.
    """
    import time

    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            last = predicate()
        except Exception as err:  # the page may be mid-render; keep polling
            last = err
        else:
            if last:
                return last
        if page is not None:
            page.wait_for_timeout(interval * 1000)
        else:
            time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s (last value: {last!r})")
