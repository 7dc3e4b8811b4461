"""A local-first tool never offers to send data away: no plotly "Share chart" (Plotly Cloud)
button or link on any chart, and no page asks anything of a host other than its own server
(requests, and attempts the content policy blocked)."""
from __future__ import annotations

from urllib.parse import urlparse

from browser_helpers import chart_state, curve, wait_until, write_result

# Every `securitypolicyviolation` of the page: a request the content policy blocked is still an
# attempt to leave the origin, which Playwright's request events may never report.
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(e.blockedURI + ' ' + e.violatedDirective));
"""


def modebar_titles(page):
    return page.evaluate("() => [...document.querySelectorAll('.modebar-btn')].map((b) => b.getAttribute('data-title'))")


def test_no_page_offers_or_makes_a_request_off_the_origin(trainui_server, page, tmp_path):
    root = tmp_path / "local"
    for i, lr in enumerate((0.1, 0.01)):
        write_result(root / f"run{i}", {"lr": lr, "optimizer": "adam"}, curve(30, lr))
    project = trainui_server.create_project(root, "local")
    results = trainui_server.wait_for(lambda: (lambda rs: rs if len(rs) == 2 and all(
        r["entry_count"] == 30 for r in rs) else None)(trainui_server.results(project["id"])))
    origin = "{0.scheme}://{0.netloc}".format(urlparse(trainui_server.url))
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    page.add_init_script(RECORD_VIOLATIONS)

    def visit(path, ready):
        page.goto(trainui_server.url + path)
        ready()
        page.wait_for_load_state("networkidle")
        violations = page.evaluate("window.__violations")
        assert violations == [], f"{path}: the content policy blocked {violations}"
        # The modebar is on screen and has its usual buttons, but none that shares the chart.
        for plot in page.locator(".js-plotly-plot").all():
            titles = plot.evaluate("(p) => [...p.querySelectorAll('.modebar-btn')].map((b) => b.getAttribute('data-title'))")
            assert titles, f"{path}: a plot without its modebar"
            assert not [t for t in titles if "share" in (t or "").lower() or "cloud" in (t or "").lower()], titles
        links = page.evaluate("() => [...document.querySelectorAll('a[href]')].map((a) => a.href)")
        assert all(link.startswith(origin) or link.startswith("blob:") for link in links), links

    visit("", lambda: page.locator(f'tr[data-pid="{project["id"]}"]').wait_for())
    visit(f"projects/{project['id']}", lambda: wait_until(lambda: len((chart_state(page, 0) or {"mains": []})["mains"]) == 2))
    page.locator(".chart-plot").first.hover()  # the modebar shows on hover; still no share button
    assert not [t for t in modebar_titles(page) if "Share" in (t or "")]
    # The check can fail: plotly's own defaults do offer the upload.
    defaults = page.evaluate("""async () => {
        const div = document.createElement('div');
        document.body.append(div);
        await Plotly.newPlot(div, [{y: [1, 2]}]);
        const titles = [...div.querySelectorAll('.modebar-btn')].map((b) => b.getAttribute('data-title'));
        Plotly.purge(div); div.remove();
        return titles; }""")
    assert any("Share chart" in (t or "") for t in defaults), defaults
    visit(f"projects/{project['id']}?tab=compare", lambda: page.locator(".compare-plot.js-plotly-plot").wait_for())
    visit(f"results/{results[0]['id']}", lambda: wait_until(lambda: (chart_state(page, 0) or {"mains": []})["mains"]))
    visit("projects/99999", lambda: page.get_by_text("does not exist").wait_for())
    visit("results/99999", lambda: page.locator(".not-found, .error-box, .error, [role=alert]").first.wait_for())

    outside = [url for url in requests if not (url.startswith(origin + "/") or url.startswith(("data:", "blob:")))]
    assert requests and outside == [], outside
    assert page.recorder.errors == []
