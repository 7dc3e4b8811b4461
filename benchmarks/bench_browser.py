"""The live UI at scale, measured in headless Chromium with the browser's own clock.

1. latency   an entry written by a job (a real trainui.Run, flushed) -> drawn in the open chart
             of its result page; 20 trials. Targets: median < 250 ms, worst < 1 s. Baseline: the
             same entry -> visible through the API (the server's share).
2. command   a click on "Apply" (lr) -> the answer shown in the command history, job at 20 it/s;
             20 trials. Target: median < 500 ms. Baseline: the job's own answer time
             (responded_at - created_at of the command).
3. load      a project of 50 runs x 100k entries, visited a second time (plotly.js cached):
             navigation -> every chart drawn. Target < 1 s. Baseline: the results table painted.
4. live      100 runs each adding 10 entries/s, project page open for 30 s: main-thread busy
             (long-task time / wall time). Target < 30 %. Baseline: the same page with nothing
             written.
5. zoom      a 5M-entry series zoomed to 2 % windows: the server's answer (browser resource
             timing) and the chart redrawn after it. Targets < 50 ms (server) and < 300 ms.
6. sweep     a project of 200 runs x 1000 entries: first visit (empty browser cache) and later
             visits -> every chart drawn (target < 1.5 s); a search-box query -> every chart
             redrawn with exactly the matching runs (target < 200 ms; baseline: the table's rows
             updated); hover -> the tooltip with all 200 runs' values (target < 50 ms; baseline:
             an animation frame with nothing to do); "Colour by" optimizer and back -> every chart
             recoloured (target < 200 ms, as a query; baseline: the table's swatches recoloured).

    nice -n 19 python benchmarks/bench_browser.py [--only latency,command,load,live,zoom,sweep]

Everything runs on loopback; Chromium is /usr/bin/chromium (Playwright drives it).
"""
from __future__ import annotations

import argparse
import json
import math
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.common import wait  # noqa: E402
from benchmarks.server_process import REPO, Server  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]


def fmt(ms: float) -> str:
    return f"{ms:.0f} ms"


def stats(samples: list[float]) -> str:
    return f"median {fmt(statistics.median(samples))}, worst {fmt(max(samples))} (n={len(samples)})"


def project(server: Server, path: Path, name: str, results: int, entries: int, timeout=1800.0) -> tuple[int, list]:
    pid = server.post("projects", {"path": str(path), "name": name}).json()["project"]["id"]
    session = requests.Session()
    listed = wait(lambda: (lambda rs: rs if len(rs) == results and all(r["entry_count"] >= entries for r in rs) else None)(
        server.get(f"projects/{pid}/results", session).json()["results"]), timeout=timeout, interval=0.5)
    return pid, listed


def write_entries(path: Path, entries) -> None:
    """A log as one JSON array, no indent (what a fast writer leaves), streamed to disk."""
    with open(path, "w") as f:
        f.write("[")
        for i, e in enumerate(entries):
            f.write(("\n" if i == 0 else ",\n") + json.dumps(e, separators=(",", ":")))
        f.write("\n]")


def append_entries(path: Path, entries: list[dict]) -> None:
    with open(path, "rb+") as f:
        f.seek(-1, 2)
        f.write(b"".join(b",\n" + json.dumps(e, separators=(",", ":")).encode() for e in entries) + b"\n]")


def run_entry(i: int, run: int) -> dict:
    loss = 2.0 / (1 + i * 1e-4 * (1 + run / 50)) + 0.02 * math.sin(i * 0.01 + run)
    return {"iteration": i, "epoch": i // 1000, "main/loss": loss, "main/accuracy": 1 - loss / 2.2,
            "lr": 0.1 * 0.5 ** (i // 40000)}


# The chart holds an entry at x = X: watched in the page at every frame, timed with Date.now().
WATCH_X = """(x) => {
  window.__seenAt = null;
  const look = () => {
    const plot = document.querySelector('.chart-card .chart-plot');
    const trace = plot && plot.data && plot.data.find((t) => t.meta && t.meta.role === 'main');
    if (trace && trace.x.length && trace.x[trace.x.length - 1] >= x) { window.__seenAt = Date.now(); return; }
    requestAnimationFrame(look);
  };
  look();
}"""

# Every chart card shows `n` runs' lines: time since navigation start, recorded once.
WATCH_CHARTS = """(n) => new Promise((resolve) => {
  const look = () => {
    const plots = [...document.querySelectorAll('.chart-card .chart-plot')];
    const done = plots.length > 0 && plots.every((p) => p.data && p.data.filter((t) => t.meta && t.meta.role === 'main' && t.x.length).length >= n);
    if (done) resolve(performance.now()); else requestAnimationFrame(look);
  };
  look();
})"""


def browser(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)


def bench_latency(work: Path, playwright, trials: int) -> None:
    root = work / "latency"
    root.mkdir()
    server = Server(work / "server-latency")
    job = subprocess.Popen([sys.executable, str(REPO / "benchmarks" / "bench_browser_job.py"), str(root / "live")],
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
    try:
        assert job.stdout.readline().strip() == "ready"
        pid, [result] = project(server, root, "latency", 1, 1)
        rid = result["id"]
        wait(lambda: server.get(f"results/{rid}").json()["result"]["status"] == "running")
        b = browser(playwright)
        page = b.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{server.url}results/{rid}?chart=main%2Floss")
        page.wait_for_function("document.querySelector('.chart-card .chart-plot')?.data?.length > 0", timeout=60000)
        drawn, api_seen, session = [], [], requests.Session()
        for i in range(1, trials + 1):
            time.sleep(0.3 + (i % 7) * 0.1)  # spread the writes over the polling phase
            x = i * 10
            page.evaluate(WATCH_X, x)
            job.stdin.write(f"{x}\n")
            job.stdin.flush()
            line = job.stdout.readline().split()
            written = float(line[2])
            wait(lambda: server.get(f"results/{rid}", session).json()["result"]["entry_count"] >= i + 1, interval=0.002)
            api_seen.append((time.time() - written) * 1000)
            seen = page.wait_for_function("window.__seenAt", timeout=10000).json_value()
            drawn.append(seen - written * 1000)
        print(f"1. entry written -> drawn in the chart:  {stats(drawn)}   (targets: median < 250 ms, worst < 1000 ms)")
        print(f"   baseline, entry -> visible in the API: {stats(api_seen)};  "
              f"ratio of medians {statistics.median(drawn) / max(statistics.median(api_seen), 1e-9):.1f}x")
        b.close()
    finally:
        job.kill()
        server.stop()


def bench_command(work: Path, playwright, trials: int) -> None:
    root = work / "command"
    root.mkdir()
    server = Server(work / "server-command")
    script = REPO / "examples" / "quickstart" / "train.py"
    job = subprocess.Popen([sys.executable, str(script), "--out", str(root / "mlp"), "--iterations", "10000000",
                            "--sleep", "0.05", "--log-every", "20", "--image-every", "0", "--no-progress"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        pid, [result] = project(server, root, "command", 1, 1, timeout=120)
        rid = result["id"]
        wait(lambda: server.get(f"results/{rid}").json()["result"]["status"] == "running", timeout=120)
        b = browser(playwright)
        page = b.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{server.url}results/{rid}")
        page.get_by_label("New lr").wait_for()
        page.wait_for_function("!document.querySelector('.hp-form button[type=submit]').disabled")
        page.evaluate("""() => {
          window.__answers = [];
          const known = new Set();
          new MutationObserver(() => {
            for (const tr of document.querySelectorAll('.history-table tbody tr[data-status="SUCCESS"]')) {
              const id = tr.dataset.commandId;
              if (!known.has(id)) { known.add(id); window.__answers.push([id, performance.now()]); }
            }
          }).observe(document.body, { subtree: true, childList: true, attributes: true });
          document.addEventListener('click', (e) => {
            if (e.target.closest('.hp-form button[type=submit]')) window.__clickedAt = performance.now();
          }, true);
        }""")
        shown, applied = [], []
        for i in range(trials):
            time.sleep(0.5 + (i % 5) * 0.13)
            before = page.evaluate("window.__answers.length")
            page.get_by_label("New lr").fill(str(0.05 - 0.001 * (i % 10)))
            page.get_by_role("button", name="Apply", exact=True).click()
            page.wait_for_function(f"window.__answers.length > {before}", timeout=20000)
            shown.append(page.evaluate("window.__answers[window.__answers.length - 1][1] - window.__clickedAt"))
        for c in server.get(f"results/{rid}/commands").json()["commands"]:
            if c["name"] == "adjust_hyperparams" and c["responded_at"]:
                applied.append((c["responded_at"] - c["created_at"]) * 1000)
        print(f"2. command click -> answer in the history (job at 20 it/s): {stats(shown)}   (target: median < 500 ms)")
        print(f"   baseline, the job's answer (responded_at - created_at): {stats(applied)};  "
              f"ratio of medians {statistics.median(shown) / max(statistics.median(applied), 1e-9):.1f}x")
        b.close()
    finally:
        job.kill()
        server.stop()


def bench_load(work: Path, playwright, runs: int, entries: int, visits: int) -> None:
    root = work / "load"
    t = time.perf_counter()
    for r in range(runs):
        (root / f"run{r:02d}").mkdir(parents=True)
        write_entries(root / f"run{r:02d}" / "log", (run_entry(i, r) for i in range(1, entries + 1)))
        (root / f"run{r:02d}" / "args").write_text(json.dumps({"lr": 0.1 / (r + 1), "seed": r}))
    server = Server(work / "server-load")
    try:
        pid, _ = project(server, root, "load", runs, entries)
        print(f"   ({runs} runs x {entries} entries written and ingested in {time.perf_counter() - t:.0f} s)")
        b = browser(playwright)
        context = b.new_context(viewport={"width": 1440, "height": 1000})
        page = context.new_page()
        url = f"{server.url}projects/{pid}"
        page.goto(url)  # the first visit fills the browser's cache (plotly.js) and the server's
        page.evaluate(WATCH_CHARTS, runs)
        drawn, painted = [], []
        for _ in range(visits):
            page.goto("about:blank")
            page.goto(url)
            drawn.append(page.evaluate(WATCH_CHARTS, runs))
            page.wait_for_function("performance.getEntriesByName('trainui:results-painted').length > 0")
            painted.append(page.evaluate("performance.getEntriesByName('trainui:results-painted')[0].startTime"))
        charts = page.evaluate("document.querySelectorAll('.chart-card').length")
        gl = page.evaluate("[...document.querySelectorAll('.chart-card')].map((c) => c.dataset.gl)")
        print(f"3. {runs} runs x {entries} entries, later visits: navigation -> {charts} charts drawn: {stats(drawn)}"
              f"   (target < 1000 ms; WebGL: {gl})")
        print(f"   baseline, navigation -> results table painted: {stats(painted)};  "
              f"ratio of medians {statistics.median(drawn) / statistics.median(painted):.1f}x")
        b.close()
    finally:
        server.stop()


# Type a query into the search box and wait for every chart to draw exactly `n` runs; also when the
# table's rows first matched (the baseline). Times in ms from the input event.
QUERY_TO_CHARTS = """([query, n]) => new Promise((resolve) => {
  const box = document.querySelector('input[aria-label="Filter runs"]');
  const started = performance.now();
  let tableAt = null;
  box.value = query;
  box.dispatchEvent(new Event('input', { bubbles: true }));
  const look = () => {
    if (tableAt === null && document.querySelectorAll('.results-table tbody tr[data-rid]').length === n) tableAt = performance.now() - started;
    const plots = [...document.querySelectorAll('.chart-card .chart-plot')];
    const done = plots.length > 0 && plots.every((p) => p.data && new Set(p.data.filter((t) => t.meta && t.meta.role === 'main' && t.x.length).map((t) => t.meta.rid)).size === n);
    if (done && tableAt !== null) resolve([performance.now() - started, tableAt]); else requestAnimationFrame(look);
  };
  requestAnimationFrame(look);
})"""

# Choose "Colour by" `key` ('' for the runs' own colours); ms until every chart's lines have at most
# `most` colours (at least `least`), and until the table's swatches do.
COLOUR_BY = """([key, least, most]) => new Promise((resolve) => {
  const select = document.querySelector('select[aria-label="Colour runs by"]');
  const started = performance.now();
  let tableAt = null;
  select.value = key;
  select.dispatchEvent(new Event('change', { bubbles: true }));
  const fits = (colours) => colours.size >= least && colours.size <= most;
  const look = () => {
    const swatches = new Set([...document.querySelectorAll('.results-table tbody tr[data-rid] .swatch')].map((s) => s.style.background));
    if (tableAt === null && fits(swatches)) tableAt = performance.now() - started;
    const plots = [...document.querySelectorAll('.chart-card .chart-plot')];
    const done = plots.length > 0 && plots.every((p) => p.data && fits(new Set(p.data.filter((t) => t.meta && t.meta.role === 'main').map((t) => t.line.color))));
    if (done && tableAt !== null) resolve([performance.now() - started, tableAt]); else requestAnimationFrame(look);
  };
  requestAnimationFrame(look);
})"""

# Move the pointer over the first chart at a fraction of its width; ms until the tooltip lists `n`
# lines (the frame after the event), the hover's own work, and an idle frame for comparison.
HOVER = """([fraction, n]) => new Promise((resolve) => {
  const plot = document.querySelector('.chart-card .chart-plot');
  const tip = plot.closest('.chart-card').querySelector('.hover-tip');
  const { _size } = plot._fullLayout;
  const box = plot.getBoundingClientRect();
  const idleStart = performance.now();
  requestAnimationFrame(() => {
    const idle = performance.now() - idleStart;
    const started = performance.now();
    tip.dataset.rows = '[]';
    plot.dispatchEvent(new MouseEvent('mousemove', { bubbles: true, clientX: box.left + _size.l + _size.w * fraction,
      clientY: box.top + _size.t + _size.h / 2 }));
    const look = () => {
      if (JSON.parse(tip.dataset.rows || '[]').length >= n) resolve([performance.now() - started, Number(tip.dataset.ms), idle]);
      else requestAnimationFrame(look);
    };
    requestAnimationFrame(look);
  });
})"""


def bench_sweep(work: Path, playwright, runs: int, entries: int, trials: int) -> None:
    root = work / "sweep"
    for r in range(runs):
        (root / f"run{r:03d}").mkdir(parents=True)
        write_entries(root / f"run{r:03d}" / "log", (run_entry(i * 10, r) for i in range(1, entries + 1)))
        (root / f"run{r:03d}" / "args").write_text(json.dumps(
            {"lr": 10 ** (-1 - 4 * r / runs), "optimizer": "adam" if r % 2 else "sgd", "seed": r}))
    server = Server(work / "server-sweep")
    try:
        pid, _ = project(server, root, "sweep", runs, entries)
        b = browser(playwright)
        url = f"{server.url}projects/{pid}"
        first = []
        for _ in range(2):  # a fresh context each time: nothing cached
            context = b.new_context(viewport={"width": 1440, "height": 900})
            page = context.new_page()
            page.goto(url)
            first.append(page.evaluate(WATCH_CHARTS, runs))
            context.close()
        context = b.new_context(viewport={"width": 1440, "height": 900})
        page = context.new_page()
        page.goto(url)
        page.evaluate(WATCH_CHARTS, runs)
        later = []
        for _ in range(3):
            page.goto("about:blank")
            page.goto(url)
            later.append(page.evaluate(WATCH_CHARTS, runs))
        charts = page.evaluate("document.querySelectorAll('.chart-card').length")
        print(f"6. {runs} runs x {entries} entries: first visit -> {charts} charts drawn: {stats(first)}; "
              f"later visits: {stats(later)}   (target < 1500 ms)")
        page.wait_for_timeout(1500)
        drawn, table = [], []
        for i in range(trials):
            query, n = ("optimizer=adam", runs // 2) if i % 2 == 0 else ("", runs)
            ms, table_ms = page.evaluate(QUERY_TO_CHARTS, [query, n])
            drawn.append(ms)
            table.append(table_ms)
        print(f"   query typed -> every chart shows exactly the matching runs: {stats(drawn)}   (target < 200 ms)")
        print(f"   baseline, query typed -> the table's rows updated: {stats(table)};  "
              f"ratio of medians {statistics.median(drawn) / max(statistics.median(table), 0.1):.1f}x")
        page.evaluate(QUERY_TO_CHARTS, ["", runs])
        shown, work_ms, idle = [], [], []
        for i in range(trials):
            total, own, frame = page.evaluate(HOVER, [0.1 + 0.8 * i / trials, runs])
            shown.append(total)
            work_ms.append(own)
            idle.append(frame)
        print(f"   hover -> tooltip of {runs} runs in the DOM: {stats(shown)}, the hover's own work: {stats(work_ms)}"
              f"   (target < 50 ms)")
        print(f"   baseline, an idle animation frame: {stats(idle)}")
        recoloured, swatches = [], []
        for i in range(trials):
            ms, table_ms = page.evaluate(COLOUR_BY, ["optimizer", 2, 2] if i % 2 == 0 else ["", 100, runs])
            recoloured.append(ms)
            swatches.append(table_ms)
        print(f"   colour by optimizer and back -> every chart recoloured: {stats(recoloured)}   (target < 200 ms)")
        print(f"   baseline, the table's swatches recoloured: {stats(swatches)};  "
              f"ratio of medians {statistics.median(recoloured) / max(statistics.median(swatches), 0.1):.1f}x")
        b.close()
    finally:
        server.stop()


LONG_TASKS = """() => {
  window.__long = [];
  new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__long.push([e.startTime, e.duration]); })
    .observe({ type: 'longtask', buffered: true });
}"""

BUSY = """([from, to]) => window.__long.filter(([s]) => s >= from && s < to).reduce((sum, [, d]) => sum + d, 0)"""


def bench_live(work: Path, playwright, runs: int, seconds: float) -> None:
    root = work / "live"
    for r in range(runs):
        (root / f"run{r:03d}").mkdir(parents=True)
        write_entries(root / f"run{r:03d}" / "log", (run_entry(i, r) for i in range(1, 1001)))
        (root / f"run{r:03d}" / "args").write_text(json.dumps({"lr": 0.1 / (r + 1), "seed": r}))
    server = Server(work / "server-live")
    stop = threading.Event()
    written = [1000] * runs

    def writer():
        """Every 100 ms one entry per run: 10 entries/s each."""
        next_at = time.monotonic()
        while not stop.is_set():
            for r in range(runs):
                written[r] += 1
                append_entries(root / f"run{r:03d}" / "log", [run_entry(written[r], r)])
            next_at += 0.1
            stop.wait(max(0.0, next_at - time.monotonic()))

    try:
        pid, _ = project(server, root, "live", runs, 1000)
        b = browser(playwright)
        page = b.new_page(viewport={"width": 1440, "height": 1000})
        page.goto(f"{server.url}projects/{pid}")
        page.evaluate(LONG_TASKS)
        page.evaluate(WATCH_CHARTS, runs)
        page.wait_for_timeout(3000)
        t0 = page.evaluate("performance.now()")
        page.wait_for_timeout(seconds * 1000)
        t1 = page.evaluate("performance.now()")
        idle = page.evaluate(BUSY, [t0, t1]) / (t1 - t0) * 100
        thread = threading.Thread(target=writer, daemon=True)
        thread.start()
        page.wait_for_timeout(5000)  # the first writes get ingested and drawn
        t0 = page.evaluate("performance.now()")
        counts0 = page.evaluate("[...document.querySelectorAll('.chart-card')].map((c) => [+c.dataset.reacts, +c.dataset.extends])")
        page.wait_for_timeout(seconds * 1000)
        t1 = page.evaluate("performance.now()")
        busy = page.evaluate(BUSY, [t0, t1]) / (t1 - t0) * 100
        counts1 = page.evaluate("[...document.querySelectorAll('.chart-card')].map((c) => [+c.dataset.reacts, +c.dataset.extends])")
        lag = page.evaluate("""(runs) => { const p = document.querySelector('.chart-card .chart-plot');
            return Math.min(...p.data.filter((t) => t.meta.role === 'main').map((t) => t.x[t.x.length - 1])); }""", runs)
        stop.set()
        thread.join()
        reacts = sum(c1[0] - c0[0] for c0, c1 in zip(counts0, counts1))
        extends = sum(c1[1] - c0[1] for c0, c1 in zip(counts0, counts1))
        gl = page.evaluate("[...document.querySelectorAll('.chart-card')].map((c) => c.dataset.gl)")
        print(f"4. {runs} live runs x 10 entries/s, {seconds:.0f} s: main thread busy {busy:.1f} % "
              f"(long tasks / wall time; target < 30 %); charts redrawn {reacts}x, appended to {extends}x; WebGL: {gl}")
        print(f"   baseline, the same page with nothing written: {idle:.1f} % busy;  "
              f"the slowest run drawn up to iteration {lag:.0f} of {min(written)} written")
        b.close()
    finally:
        stop.set()
        server.stop()


def bench_zoom(work: Path, playwright, entries: int, windows: int) -> None:
    root = work / "zoom"
    (root / "long").mkdir(parents=True)
    t = time.perf_counter()
    write_entries(root / "long" / "log", ({"iteration": i, "main/loss": 1 / math.sqrt(i) + 0.05 * math.sin(i / 50)}
                                          for i in range(1, entries + 1)))
    server = Server(work / "server-zoom")
    try:
        pid, [result] = project(server, root, "zoom", 1, entries, timeout=3600)
        print(f"   ({entries} entries written and ingested in {time.perf_counter() - t:.0f} s)")
        rid = result["id"]
        b = browser(playwright)
        page = b.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{server.url}results/{rid}?chart=main%2Floss")
        page.wait_for_function("document.querySelector('.chart-card .chart-plot')?.data?.length > 0", timeout=120000)
        server_ms, draw_ms, py_ms = [], [], []
        session = requests.Session()
        for w in range(windows):
            lo = entries * (0.1 + 0.15 * w)
            hi = lo + entries * 0.02
            page.evaluate("performance.clearMarks(); performance.clearResourceTimings()")
            page.evaluate("([lo, hi]) => Plotly.relayout(document.querySelector('.chart-plot'), {'xaxis.range': [lo, hi]})", [lo, hi])
            page.wait_for_function("performance.getEntriesByName('trainui:zoom-drawn').length > 0", timeout=60000)
            timing = page.evaluate("""() => {
              const r = performance.getEntriesByType('resource').find((e) => e.name.includes('x_min='));
              const d = performance.getEntriesByName('trainui:zoom-detail')[0].startTime;
              const drawn = performance.getEntriesByName('trainui:zoom-drawn')[0].startTime;
              return [r.responseEnd - r.requestStart, drawn - d, r.name];
            }""")
            server_ms.append(timing[0])
            draw_ms.append(timing[1])
            start = time.perf_counter()
            session.get(timing[2], timeout=60)
            py_ms.append((time.perf_counter() - start) * 1000)
        n = page.evaluate("document.querySelector('.chart-plot').data.find((t) => t.meta.role === 'main').x.length")
        print(f"5. zoom into a 2 % window of a {entries}-entry series: server answer {stats(server_ms)}   (target < 50 ms)")
        print(f"   chart redrawn after the answer: {stats(draw_ms)}   (target < 300 ms; {n} points drawn)")
        print(f"   baseline, the same request from Python afterwards: {stats(py_ms)}")
        b.close()
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default="latency,command,load,live,zoom,sweep")
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--live-runs", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--zoom-entries", type=int, default=5_000_000)
    parser.add_argument("--sweep-runs", type=int, default=200)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    parts = set(args.only.split(","))
    with tempfile.TemporaryDirectory(prefix="trainui-bench-browser-") as tmp, sync_playwright() as playwright:
        work = Path(tmp)
        if "latency" in parts:
            bench_latency(work, playwright, args.trials)
        if "command" in parts:
            bench_command(work, playwright, args.trials)
        if "load" in parts:
            bench_load(work, playwright, args.runs, args.entries, visits=5)
        if "live" in parts:
            bench_live(work, playwright, args.live_runs, args.seconds)
        if "zoom" in parts:
            bench_zoom(work, playwright, args.zoom_entries, windows=5)
        if "sweep" in parts:
            bench_sweep(work, playwright, args.sweep_runs, 1000, trials=10)


if __name__ == "__main__":
    main()
