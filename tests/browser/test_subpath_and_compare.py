"""The app under a sub-path (`--base-url /trainui/`): every link, asset and API call honours the
base; and the compare-by-hyperparameters view draws one point per run."""
from __future__ import annotations

from browser_helpers import chart_state, curve, wait_until, write_result


def test_served_under_a_sub_path(start_server, page, tmp_path, screenshot):
    server = start_server(extra_args=("--base-url", "/trainui/"))
    root = tmp_path / "sub"
    for i, lr in enumerate((0.1, 0.02)):
        write_result(root / f"run{i}", {"lr": lr, "optimizer": ["sgd", "adam"][i]}, curve(30, lr))
    project = server.create_project(root, "sub")
    server.wait_for(lambda: len(server.results(project["id"])) == 2)
    base = server.url if server.url.rstrip("/").endswith("/trainui") else server.url + "trainui/"

    requested = []
    page.on("request", lambda r: requested.append(r.url))
    page.goto(base)
    page.get_by_role("link", name="sub").click()
    page.wait_for_url(f"{base}projects/{project['id']}**")
    wait_until(lambda: (lambda s: s and len(s["mains"]) == 2)(chart_state(page, 0)))
    bad = [url for url in requested if not url.startswith(base) and not url.startswith(("blob:", "data:"))]
    assert any("/trainui/static/vendor/plotly.min.js" in url for url in requested)
    assert bad == [], f"requests outside the base URL: {bad}"

    # Compare view: parallel coordinates where WebGL works, else the scatter.
    page.get_by_role("tab", name="Compare hyperparameters").click()
    assert "tab=compare" in page.url
    page.get_by_label("Comparison view").select_option("scatter")
    page.get_by_label("Arg on the x axis").select_option("lr")
    points = wait_until(lambda: page.evaluate(
        "() => { const p = document.querySelector('.compare-plot'); return p && p.data && p.data[0].x.length; }"))
    assert points == 2
    screenshot(page, "compare")
    page.get_by_role("link", name="run0").click()
    page.wait_for_url(f"{base}results/**")
    page.locator(".summary").wait_for()
    assert page.recorder.errors == []
