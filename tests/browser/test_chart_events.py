"""Events on the curves, driven by a real job (the quickstart example, trainui's trainer library):
an lr change is a flag on the chart at the iteration where the job applied it (and at its
elapsed time and epoch on those axes), its hover says old -> new, where and by which command; a
command posted while the page is open appears without a reload; the Events button hides them
(remembered across a reload); a command name with markup is shown as text; on the project page
the hovered run's events are marked."""
from __future__ import annotations

from browser_helpers import wait_until


def flags(page, chart: int = 0) -> list[dict]:
    """Each flag of chart `chart`: its x, its event ids, and where it is against where the chart's
    x axis puts that x (pixels, in the chart's body)."""
    return page.evaluate(
        """(index) => {
            const card = document.querySelectorAll('.chart-card')[index];
            const plot = card && card.querySelector('.chart-plot');
            if (!plot || !plot._fullLayout) return [];
            const body = card.querySelector('.chart-body').getBoundingClientRect();
            const layout = plot._fullLayout;
            return [...card.querySelectorAll('.event-flag')].map((f) => {
              const box = f.getBoundingClientRect();
              const x = Number(f.dataset.x);
              return {x, events: f.dataset.events.split(' '), label: f.getAttribute('aria-label'),
                      center: box.left + box.width / 2 - body.left, expected: layout._size.l + layout.xaxis.c2p(x),
                      lineLeft: f.previousElementSibling.getBoundingClientRect().left - body.left};
            });
        }""", chart)


def answered(server, rid, command_id, timeout=30):
    def done():
        commands = server.api("GET", f"results/{rid}/commands")[1]["commands"]
        command = next(c for c in commands if c["id"] == command_id)
        return command if command["status"] != "PENDING" else None
    return wait_until(done, timeout=timeout)


def post(server, rid, name, body=None):
    status, answer = server.api("POST", f"results/{rid}/commands", json={"name": name, "body": body or {}})
    assert status == 201, answer
    return answer["command"]["id"]


def test_an_lr_change_is_a_flag_at_its_iteration_with_old_and_new_in_its_hover(trainui_server, page, tmp_path,
                                                                                start_job, screenshot):
    root = tmp_path / "events-project"
    root.mkdir()
    start_job(root / "mlp", "--iterations", "200000", "--sleep", "0.01", "--log-every", "10", "--image-every", "0",
              "--lr", "0.05")
    project = trainui_server.create_project(root, "events")
    result = trainui_server.wait_for(lambda: next((r for r in trainui_server.results(project["id"])
                                                   if r["status"] == "running" and r["entry_count"] > 3), None),
                                     timeout=60)
    rid = result["id"]
    lr_id = post(trainui_server, rid, "adjust_hyperparams", {"lr": 0.01})
    lr = answered(trainui_server, rid, lr_id)
    assert lr["status"] == "SUCCESS" and lr["iteration"] > 0, lr
    (event,) = trainui_server.api("GET", f"results/{rid}/events")[1]["events"]

    page.goto(f"{trainui_server.url}results/{rid}")
    marked = wait_until(lambda: flags(page), timeout=20)
    (flag,) = marked
    assert flag["x"] == lr["iteration"] and flag["events"] == [f"command-{lr_id}"]
    assert abs(flag["center"] - flag["expected"]) < 1.5, flag  # on the curve's x, as Plotly draws it
    assert abs(flag["lineLeft"] - flag["expected"]) < 2, flag

    # Hover: what (old -> new), where, by which command; as text
    page.locator(".chart-card").first.locator(".event-flag").hover()
    tip = page.locator(".chart-card").first.locator(".event-tip")
    tip.wait_for(state="visible")
    text = tip.text_content()
    assert text.startswith("lr 0.05 -> 0.01"), text  # a result page's chart shows one run: no run name first
    assert f"at iteration {lr['iteration']:,}" in text and f"by command #{lr_id}" in text, text
    screenshot(page, "chart-events-hover")

    # Live: a command answered while the page is open is marked without a reload, as are hostile names
    page.evaluate("window.__xss = 0")
    snap_id = post(trainui_server, rid, "take_snapshot")
    evil_id = post(trainui_server, rid, "<img src=x onerror=window.__xss=1>")
    answered(trainui_server, rid, snap_id)
    assert answered(trainui_server, rid, evil_id)["status"] == "FAILURE"
    wanted = {f"command-{lr_id}", f"command-{snap_id}", f"command-{evil_id}"}
    current = wait_until(lambda: (lambda now: now if wanted <= {e for f in now for e in f["events"]} else None)(
        flags(page)), timeout=20)
    evil = next(f for f in current if f"command-{evil_id}" in f["events"])
    assert "<img src=x onerror=window.__xss=1> (failed" in evil["label"]
    assert page.locator(".event-layer img, .event-tip img").count() == 0 and page.evaluate("window.__xss") == 0

    # Against elapsed_time and epoch the flag is where the job's clock and epoch were
    page.get_by_label("X axis key").select_option("elapsed_time")
    at_time = wait_until(lambda: next((f for f in flags(page) if f"command-{lr_id}" in f["events"]
                                       and abs(f["x"] - event["elapsed_time"]) < 1e-9), None), timeout=20)
    assert abs(at_time["center"] - at_time["expected"]) < 1.5
    page.get_by_label("X axis key").select_option("epoch")
    wait_until(lambda: any(f"command-{lr_id}" in f["events"] and f["x"] == event["epoch"] for f in flags(page)))
    page.get_by_label("X axis key").select_option("iteration")
    wait_until(lambda: any(f["x"] == lr["iteration"] for f in flags(page)))

    # The Events button hides them, and the choice is remembered
    toggle = page.get_by_role("button", name="Events", exact=True)
    assert toggle.get_attribute("aria-pressed") == "true"
    toggle.click()
    wait_until(lambda: flags(page) == [])
    assert page.locator(".event-line").count() == 0
    page.reload()
    page.locator(".chart-card .chart-plot .main-svg").first.wait_for()
    page.wait_for_timeout(1500)  # events were fetched and drawn meanwhile, had they been shown
    assert flags(page) == [] and toggle.get_attribute("aria-pressed") == "false"
    toggle.click()
    wait_until(lambda: any(f["x"] == lr["iteration"] for f in flags(page)))

    # The project page marks the events of the run the pointer is on
    page.goto(f"{trainui_server.url}projects/{project['id']}")
    plot = page.locator(".chart-card .chart-plot").first
    plot.locator(".main-svg").first.wait_for()
    wait_until(lambda: page.evaluate("() => !!document.querySelector('.chart-card .chart-plot').data?.length"))
    box = plot.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.5)
    page.mouse.move(box["x"] + box["width"] * 0.62, box["y"] + box["height"] * 0.5)
    on_project = wait_until(lambda: next((f for f in flags(page) if f"command-{lr_id}" in f["events"]), None),
                            timeout=20)
    assert abs(on_project["center"] - on_project["expected"]) < 1.5
    page.locator(".chart-card").first.locator(f".event-flag[data-events~='command-{lr_id}']").hover()
    tip = page.locator(".chart-card").first.locator(".event-tip")
    tip.wait_for(state="visible")
    assert "mlp" in tip.text_content() and "lr 0.05 -> 0.01" in tip.text_content()
    assert not page.recorder.errors, page.recorder.errors


def test_a_resumed_run_is_a_flag_where_the_new_process_went_on(trainui_server, page, tmp_path, start_job):
    root = tmp_path / "resume-project"
    root.mkdir()
    first = start_job(root / "mlp", "--iterations", "130", "--log-every", "10", "--image-every", "0",
                      "--snapshot-every", "50")
    assert first.wait(timeout=120) == 0
    again = start_job(root / "mlp", "--iterations", "160", "--log-every", "10", "--image-every", "0",
                      "--resume", "latest")  # from snapshot_iter_100: iterations 101-130 are replayed
    assert again.wait(timeout=120) == 0
    project = trainui_server.create_project(root, "resumed")
    (result,) = trainui_server.wait_for(lambda: [r for r in trainui_server.results(project["id"])
                                                 if r["status"] == "finished" and r["entry_count"] >= 16] or None,
                                        timeout=60)
    (event,) = trainui_server.api("GET", f"results/{result['id']}/events")[1]["events"]
    assert (event["kind"], event["iteration"], event["details"]["after"]) == ("resume", 101, "finished"), event

    page.goto(f"{trainui_server.url}results/{result['id']}")
    (flag,) = wait_until(lambda: flags(page), timeout=20)
    assert flag["x"] == 101 and flag["events"] == [event["id"]]
    assert abs(flag["center"] - flag["expected"]) < 1.5, flag
    page.locator(".chart-card").first.locator(".event-flag.event-resume").hover()
    tip = page.locator(".chart-card").first.locator(".event-tip")
    tip.wait_for(state="visible")
    assert "resumed (it had finished); the log had reached iteration 130" in tip.text_content()
    assert "at iteration 101" in tip.text_content()
    assert not page.recorder.errors, page.recorder.errors
