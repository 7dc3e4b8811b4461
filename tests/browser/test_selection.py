"""One selection drives the charts: the search box's query, the column filters, ticks and pins
decide which runs every chart draws, live and with no extra click; all of it is in the link."""
from __future__ import annotations

from urllib.parse import parse_qs, urlparse

from browser_helpers import chart_state, curve, wait_until, write_result

RUNS = {  # name: (lr, optimizer)
    "sweep-a": (0.1, "adam"), "sweep-b": (0.03, "adam"), "sweep-c": (0.01, "sgd"), "sweep-d": (0.001, "adam"),
    "base-a": (0.05, "sgd"), "base-b": (0.003, "adam"), "base-c": (0.2, "adam"), "base-d": (0.0001, "sgd"),
}


def make_sweep(trainui_server, tmp_path):
    root = tmp_path / "sweep"
    for name, (lr, optimizer) in RUNS.items():
        write_result(root / name, {"lr": lr, "optimizer": optimizer, "batch_size": 32}, curve(20, lr))
    project = trainui_server.create_project(root, "sweep")
    results = trainui_server.wait_for(lambda: (lambda rs: rs if len(rs) == len(RUNS) and all(
        r["entry_count"] == 20 for r in rs) else None)(trainui_server.results(project["id"])), timeout=15)
    return project, {r["name"]: r["id"] for r in results}


def charted(page, index=0):
    state = chart_state(page, index)
    return sorted(m["rid"] for m in state["mains"]) if state else None


def listed(page):
    return sorted(int(x) for x in page.locator(".results-table tbody tr[data-rid]").evaluate_all(
        "(rows) => rows.map((r) => r.dataset.rid)"))


def expect_charted(page, ids, index=0):
    want = sorted(ids)
    wait_until(lambda: charted(page, index) == want)


def test_the_query_filters_ticks_and_pins_drive_every_chart(trainui_server, page, tmp_path):
    project, ids = make_sweep(trainui_server, tmp_path)
    which = lambda pred: sorted(ids[n] for n, (lr, opt) in RUNS.items() if pred(n, lr, opt))  # noqa: E731
    page.goto(f"{trainui_server.url}projects/{project['id']}?chart=main/loss&chart=main/accuracy")
    expect_charted(page, ids.values())

    # The query filters the table and both charts at once.
    search = page.get_by_label("Filter runs")
    search.fill("lr>0.005 optimizer=adam name~sweep")
    want = which(lambda n, lr, opt: lr > 0.005 and opt == "adam" and "sweep" in n)
    assert want == sorted([ids["sweep-a"], ids["sweep-b"]])
    expect_charted(page, want, 0)
    expect_charted(page, want, 1)
    assert listed(page) == want
    assert parse_qs(urlparse(page.url).query)["q"] == ["lr>0.005 optimizer=adam name~sweep"]
    assert search.get_attribute("aria-invalid") == "false"
    assert page.locator(".query-errors").is_hidden()

    # A term that cannot be understood is said under the box; the others still apply.
    search.fill("lr> optimizer=adam lrr>1")
    errors = page.locator(".query-errors")
    errors.wait_for()
    assert "lr>" in errors.text_content() and "a value is needed" in errors.text_content()
    assert 'no run has a key "lrr"' in errors.text_content()
    assert search.get_attribute("aria-invalid") == "true"
    expect_charted(page, which(lambda n, lr, opt: opt == "adam"))

    # The query and a column filter combine.
    search.fill("optimizer=adam")
    page.locator('input.input-filter[data-column="arg:lr"]').fill("<0.01")
    want = which(lambda n, lr, opt: opt == "adam" and lr < 0.01)
    expect_charted(page, want)
    assert listed(page) == want

    # Pinning a run the filters leave out charts (and lists) it; unticking one hides it.
    page.locator('input.input-filter[data-column="arg:lr"]').fill("")
    expect_charted(page, which(lambda n, lr, opt: opt == "adam"))
    search.fill("optimizer=sgd")
    expect_charted(page, which(lambda n, lr, opt: opt == "sgd"))
    search.fill("")
    page.get_by_role("button", name="Pin base-d").click()
    search.fill("optimizer=adam")
    adam = which(lambda n, lr, opt: opt == "adam")
    expect_charted(page, adam + [ids["base-d"]])
    assert ids["base-d"] in listed(page)
    page.get_by_label("Chart sweep-b").uncheck()
    want = sorted(set(adam + [ids["base-d"]]) - {ids["sweep-b"]})
    expect_charted(page, want)
    query = parse_qs(urlparse(page.url).query)
    assert query["pin"] == [str(ids["base-d"])] and query["hide"] == [str(ids["sweep-b"])]

    # The link reproduces the selection in a fresh page, search box included.
    fresh = page.context.new_page()
    fresh.goto(page.url)
    wait_until(lambda: charted(fresh) == want)
    assert fresh.get_by_label("Filter runs").input_value() == "optimizer=adam"
    assert fresh.get_by_role("button", name="Unpin base-d").get_attribute("aria-pressed") == "true"

    # Unticking a pinned run unpins and hides it; clearing the query charts the rest again.
    page.get_by_label("Chart base-d").click()  # it leaves the list too: the filters leave it out
    expect_charted(page, sorted(set(adam) - {ids["sweep-b"]}))
    search.fill("")
    expect_charted(page, sorted(set(ids.values()) - {ids["sweep-b"], ids["base-d"]}))
    assert "pin" not in parse_qs(urlparse(page.url).query)

    # Group-by is in the link too.
    page.get_by_label("Group by arg").select_option("optimizer")
    assert parse_qs(urlparse(page.url).query)["group"] == ["optimizer"]
    assert page.recorder.errors == []
