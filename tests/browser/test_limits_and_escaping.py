"""What the UI asks the server for stays within max_points per key (also when zoomed), the
project page paints fast, and HTML in names, args and keys is shown as text, never run."""
from __future__ import annotations

import math
from urllib.parse import parse_qs, urlparse

from browser_helpers import chart_state, curve, logs_answers, wait_until, write_result


def test_no_logs_response_exceeds_max_points(trainui_server, page, tmp_path, screenshot):
    root = tmp_path / "big"
    big = [{"iteration": i, "epoch": i // 1000, "main/loss": 1 / math.sqrt(i) + (0.3 if i % 997 == 0 else 0)}
           for i in range(1, 30001)]
    write_result(root / "long", {"lr": 0.1}, big)
    write_result(root / "short", {"lr": 0.01}, curve(40, 0.01))
    project = trainui_server.create_project(root, "big")
    trainui_server.wait_for(lambda: sorted(r["entry_count"] for r in trainui_server.results(project["id"])) == [40, 30000],
                            timeout=30)

    page.goto(f"{trainui_server.url}projects/{project['id']}")
    page.locator(".results-table tbody tr[data-rid]").first.wait_for()
    page.wait_for_function("performance.getEntriesByName('trainui:results-painted').length > 0")
    paint_ms = page.evaluate("performance.getEntriesByName('trainui:results-painted')[0].startTime")
    print(f"project page: results table painted {paint_ms:.0f} ms after navigation start")
    # The target is < 1 s (about 0.5 s on an idle 2-core machine); the margin absorbs a busy CI.
    assert paint_ms < 2000, f"the project page took {paint_ms:.0f} ms to show its table"

    state = wait_until(lambda: (lambda s: s if s and len(s["mains"]) == 2 and "band-high" in s["roles"] else None)(chart_state(page, 0)))
    assert state["roles"].count("band-high") == 1, "only the downsampled run gets a min-max band"
    page.evaluate("""() => Plotly.relayout(document.querySelector('.chart-plot'), {'xaxis.range': [1000, 3000]})""")
    wait_until(lambda: any("x_min=" in r.url for r in page.recorder.logs_responses()), page=page)
    page.locator(".chip-zoom").filter(has_text="full detail").first.wait_for()
    screenshot(page, "project-downsampled")

    largest = 0
    responses = page.recorder.logs_responses()
    assert responses
    for response in responses:
        max_points = int(parse_qs(urlparse(response.url).query)["max_points"][0])
        for key, series in [item for _, answer, _ in logs_answers(response) for item in answer["series"].items()]:
            assert len(series["x"]) == len(series["y"])
            assert len(series["x"]) <= max_points, f"{key}: {len(series['x'])} points > max_points={max_points}"
            largest = max(largest, len(series["x"]))
    print(f"largest logs response: {largest} points per key")
    assert 0 < largest <= 1000
    assert page.recorder.errors == []


def test_html_in_names_args_and_keys_is_text(trainui_server, page, tmp_path):
    root = tmp_path / "evil"
    name = "<img src=x onerror=window.__xss=1>"
    key = "<i>loss</i>"
    entries = [{"iteration": i, key: 1.0 / i} for i in range(1, 20)]
    write_result(root / name, {"<script>window.__xss=2</script>": "<b>bold</b>"}, entries)
    write_result(root / "plain", {"<script>window.__xss=2</script>": 1}, entries)
    project = trainui_server.create_project(root, "<u>evil</u>")
    trainui_server.wait_for(lambda: len(trainui_server.results(project["id"])) == 2)

    page.add_init_script("window.__xss = 0")
    page.goto(trainui_server.url)
    page.get_by_role("link", name="<u>evil</u>").click()
    link = page.get_by_role("link", name=name)
    link.wait_for()
    assert page.locator("th button[data-column='arg:<script>window.__xss=2</script>']").text_content().startswith("<script>")
    assert page.locator("td", has_text="<b>bold</b>").count() == 1
    # The key is charted by default; its title, the legend and the x/y text stay literal.
    wait_until(lambda: (lambda s: s and len(s["mains"]) == 2)(chart_state(page, 0)))
    assert page.locator(".chart-title").first.text_content() == key
    legend = page.locator(".chart-card .chart-legend .legend-name").all_text_contents()
    assert name in legend
    assert page.evaluate("document.querySelectorAll('main img, main b, main i, main u, main script:not([src])').length") == 0

    link.click()
    page.locator("h1").filter(has_text=name).wait_for()
    page.locator(".args-table td", has_text="<b>bold</b>").wait_for()
    assert page.evaluate("window.__xss") == 0
    assert page.locator("img[src='x']").count() == 0
    assert page.recorder.errors == []
