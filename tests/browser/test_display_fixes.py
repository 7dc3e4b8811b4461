"""What a new user ran into, fixed: a constant series on a sensible axis, NaN/Inf marked in the
chart and flagged in the table and the result summary, images opened full size with the step
slider, snapshots downloadable (also through an access token), an arg and a metric of the same
name told apart, and parallel-coordinate labels inside the plot."""
from __future__ import annotations

import math

import numpy as np
from browser_helpers import chart_state, curve, wait_until, write_result

from trainui.trainer.images import record_image


def open_project(server, page, root, name, count):
    project = server.create_project(root, name)
    results = server.wait_for(lambda: (lambda rs: rs if len(rs) == count and all(r["entry_count"] for r in rs) else None)(
        server.results(project["id"])), timeout=20)
    page.goto(f"{server.url}projects/{project['id']}")
    return project, {r["name"]: r for r in results}


def chart_index(page, title):
    titles = page.locator(".chart-card .chart-title").all_text_contents()
    return titles.index(title)


def test_constant_series_is_drawn_around_its_value(trainui_server, page, tmp_path):
    root = tmp_path / "const"
    write_result(root / "run", {"batch": 32}, curve(30, 0.01))  # lr is 0.01 in every entry
    open_project(trainui_server, page, root, "const", 1)
    page.locator(".chart-card .chart-title", has_text="lr").wait_for()
    index = chart_index(page, "lr")
    wait_until(lambda: (chart_state(page, index) or {}).get("mains"))
    low, high = page.evaluate("(i) => document.querySelectorAll('.chart-plot')[i]._fullLayout.yaxis.range", index)
    assert 0 < low < 0.01 < high, f"lr = 0.01 must sit inside the y range, not on a -1..1 axis: {low}..{high}"
    assert high - low < 0.01, "the range is about the value, not about zero"
    # A series that varies is autoranged as before.
    loss = chart_index(page, "main/loss")
    assert page.evaluate("(i) => document.querySelectorAll('.chart-plot')[i]._fullLayout.yaxis.autorange", loss) is True
    assert page.recorder.errors == []


def test_nan_and_inf_are_marked_and_flagged(trainui_server, page, tmp_path):
    root = tmp_path / "diverged"
    entries = curve(20, 0.1)
    for e in entries[12:16]:
        e["main/loss"] = math.inf
    for e in entries[16:]:
        e["main/loss"] = math.nan  # the run diverged and stays so: its last value is NaN
    write_result(root / "bad", {"lr": 0.1}, entries)
    write_result(root / "good", {"lr": 0.01}, curve(20, 0.01))
    _, results = open_project(trainui_server, page, root, "diverged", 2)
    bad = results["bad"]["id"]
    assert results["bad"]["last_values"]["main/loss"] == "NaN"

    # The table flags the run and its last value.
    row = page.locator(f'tr[data-rid="{bad}"]')
    row.locator(".flag-nonfinite").wait_for()
    assert "main/loss = NaN" in row.locator(".flag-nonfinite").get_attribute("title")
    cell = row.locator("td.nonfinite")
    assert cell.text_content() == "⚠ NaN"
    assert page.locator(f'tr[data-rid="{results["good"]["id"]}"] .flag-nonfinite').count() == 0

    # The chart marks where the values were infinite and NaN, at the edges of the plot.
    marks = wait_until(lambda: page.evaluate("""(rid) => {
        const plot = document.querySelectorAll('.chart-plot')[0];
        return plot && plot.data && plot.data.filter((t) => t.meta.role === 'nonfinite' && t.meta.rid === rid)
          .map((t) => ({kind: t.meta.kind, x: t.x, y: t.y, axis: t.yaxis}));
    }""", bad))
    by_kind = {m["kind"]: m for m in marks}
    assert set(by_kind) == {"Infinity", "NaN"}
    assert by_kind["Infinity"]["x"] == [130, 140, 150, 160] and by_kind["NaN"]["x"] == [170, 180, 190, 200]
    assert all(m["axis"] == "y3" and all(y > 0.5 for y in m["y"]) for m in marks), "both sit at the top edge"
    chip = page.locator(".chart-card").first.locator(".chip-nonfinite")
    assert chip.is_visible() and "NaN" in chip.text_content() and "Infinity" in chip.text_content()
    assert "bad · main/loss" in chip.get_attribute("title")
    # The line stops where the values stopped being finite (no fake last value drawn on).
    main = next(m for m in chart_state(page, 0)["mains"] if m["rid"] == bad)
    assert page.evaluate("(rid) => document.querySelectorAll('.chart-plot')[0].data.find((t) => t.meta.role === 'main' && t.meta.rid === rid).y.slice(12).every((y) => y === null)", bad)
    assert main["n"] == 20

    # The result's summary says so too.
    page.get_by_role("link", name="bad", exact=True).click()
    flagged = page.locator(".summary-item.flagged dd[data-field='not-finite']")
    flagged.wait_for()
    assert flagged.text_content() == "main/loss = NaN"
    assert page.recorder.errors == []


def test_images_open_full_size_with_the_step_slider(trainui_server, page, tmp_path):
    root = tmp_path / "images"
    out = root / "gan"
    write_result(out, {"lr": 0.1}, curve(10, 0.1))
    for step in (100, 200, 300):
        image = np.zeros((64, 96), dtype=np.float32)
        image[:, : step // 10] = 1.0  # a bar whose width tells the step
        record_image(str(out), "samples", image, step)
    project = trainui_server.create_project(root, "images")
    rid = trainui_server.wait_for(lambda: trainui_server.results(project["id"]))[0]["id"]
    trainui_server.wait_for(lambda: len(trainui_server.api("GET", f"results/{rid}/assets")[1]["assets"]) == 3)
    page.goto(f"{trainui_server.url}results/{rid}")
    tile = page.locator(".image-figure[data-tag='samples'] img")
    tile.wait_for()
    tile_width = tile.bounding_box()["width"]

    page.get_by_role("button", name="Open samples at step 300 full size").click()
    dialog = page.get_by_role("dialog")
    dialog.wait_for()
    big = dialog.locator("img.lightbox-img")
    wait_until(lambda: page.evaluate("(img) => img.complete && img.naturalWidth === 96", big.element_handle()))
    assert big.bounding_box()["width"] > tile_width * 1.5, "fitted to the window: larger than its tile"
    assert dialog.get_attribute("data-step") == "300"
    assert "96 × 64 px" in dialog.text_content()
    page.get_by_label("Actual pixels").check()
    wait_until(lambda: round(big.bounding_box()["width"]) == 96)

    # The step slider (and the arrow keys) go through the steps inside the lightbox.
    src = big.get_attribute("src")
    page.keyboard.press("ArrowLeft")
    wait_until(lambda: dialog.get_attribute("data-step") == "200")
    assert big.get_attribute("src") != src
    page.get_by_role("slider", name="Step of the enlarged image").fill("0")
    wait_until(lambda: dialog.get_attribute("data-step") == "100")
    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")
    # Back in the grid at the step chosen in the lightbox.
    page.locator(".image-figure[data-tag='samples'][data-step='100']").wait_for()
    assert page.recorder.errors == []


def test_snapshots_download_through_a_token(start_server, browser, tmp_path):
    server = start_server(extra_args=("--token", "s3cret-token"))
    root = tmp_path / "snaps"
    write_result(root / "run", {"lr": 0.1}, curve(10, 0.1))
    payload = bytes(range(256)) * 40
    (root / "run" / "snapshot_iter_100").write_bytes(payload)
    status, body = server.api("POST", "projects", json={"path": str(root), "name": "snaps"},
                              headers={"Authorization": "Bearer s3cret-token"})
    assert status == 201, body
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    try:
        page.goto(f"{server.url}?token=s3cret-token")
        page.get_by_role("link", name="snaps").click()
        page.get_by_role("link", name="run", exact=True).click()
        link = page.locator(".snapshots-table a.snapshot-link", has_text="snapshot_iter_100")
        link.wait_for(timeout=20000)
        with page.expect_download() as download:
            link.click()
        assert download.value.suggested_filename == "snapshot_iter_100"
        with open(download.value.path(), "rb") as f:
            assert f.read() == payload
    finally:
        context.close()


def test_arg_and_metric_of_one_name_are_told_apart(trainui_server, page, tmp_path):
    root = tmp_path / "twins"
    write_result(root / "run", {"lr": 0.5, "optimizer": "sgd"}, curve(10, 0.01))  # args lr 0.5, logged lr 0.01
    open_project(trainui_server, page, root, "twins", 1)
    page.locator("button.th-sort[data-column='metric:lr']").wait_for()
    headers = {b.get_attribute("data-column"): b.locator(".th-label").text_content()
               for b in page.locator("thead button.th-sort").all()}
    assert headers["arg:lr"] == "lr (arg)" and headers["metric:lr"] == "lr (metric)"
    assert headers["arg:optimizer"] == "optimizer", "names that do not clash stay short"
    row = page.locator("tbody tr[data-rid]")
    cells = row.locator("td").all_text_contents()
    assert "0.5" in cells and "0.01" in cells
    page.get_by_text("Columns", exact=True).click()
    assert page.locator(".chooser-label").filter(has_text="lr (metric)").count() == 1
    assert page.recorder.errors == []


def test_parallel_coordinate_labels_fit(trainui_server, page, tmp_path):
    root = tmp_path / "hp"
    names = ["learning_rate_for_the_generator", "learning_rate_for_the_discriminator", "batch_size_per_device",
             "weight_decay_of_all_layers", "dropout_probability", "number_of_warmup_iterations", "seed"]
    for i in range(4):
        args = {name: round(0.1 * (i + 1) * (j + 1), 3) for j, name in enumerate(names)}
        write_result(root / f"run{i}", args, curve(10, 0.01 * (i + 1)))
    open_project(trainui_server, page, root, "hp", 4)
    page.set_viewport_size({"width": 1000, "height": 900})
    page.get_by_role("tab", name="Compare hyperparameters").click()
    page.get_by_label("Comparison view").select_option("parallel")
    wait_until(lambda: page.locator(".compare-plot .axis-title").count() == len(names) + 1)

    def layout():
        """Labels inside the plot, and no two touching: level labels by their boxes, tilted ones by
        the distance between their (parallel) baselines, read from each label's screen transform."""
        return page.evaluate("""() => {
            const box = document.querySelector('.compare-plot').getBoundingClientRect();
            const texts = [...document.querySelectorAll('.compare-plot .axis-title')];
            const inside = texts.map((t) => t.getBoundingClientRect())
              .every((r) => r.left >= box.left - 0.5 && r.right <= box.right + 0.5 && r.top >= box.top - 0.5);
            const labels = texts.map((t) => {
              const m = t.getScreenCTM();
              const a = new DOMPoint(+t.getAttribute('x') || 0, +t.getAttribute('y') || 0).matrixTransform(m);
              const n = Math.hypot(m.a, m.b);
              return {a, dx: m.a / n, dy: m.b / n, r: t.getBoundingClientRect(), size: parseFloat(getComputedStyle(t).fontSize)};
            }).sort((p, q) => p.a.x - q.a.x);
            let touching = 0;
            labels.forEach((p, i) => {
              if (!i) return;
              const q = labels[i - 1];
              if (Math.abs(p.dy) < 0.01) { if (p.r.left < q.r.right && p.r.top < q.r.bottom) touching += 1; return; }
              if (Math.abs((p.a.x - q.a.x) * -p.dy + (p.a.y - q.a.y) * p.dx) < p.size) touching += 1;
            });
            return {inside, touching, tilted: labels.some((p) => Math.abs(p.dy) > 0.01), texts: texts.map((t) => t.textContent)};
        }""")

    state = wait_until(lambda: (lambda s: s if s["inside"] and s["touching"] == 0 else None)(layout()), timeout=20)
    assert state["tilted"], "eight long labels across 1000 px do not fit level"
    assert any("…" in t for t in state["texts"]), "long keys are shortened in the middle"
    assert "seed" in state["texts"]
    assert page.recorder.errors == []
