"""Tags and notes in the browser, driven by real jobs: tags given by the job's code and added in
the UI, a note written in the UI (with its preview), all kept across a server restart and used by
the table's filter (`tag=NAME`, `tag~part`); and nothing in a note or a tag ever runs as script."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from browser_helpers import wait_until

pytest.importorskip("torch")

JOB = textwrap.dedent("""
    import json, sys, time
    import torch
    import trainui

    out, labels = sys.argv[1], json.loads(sys.argv[2])
    model = torch.nn.Linear(2, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    with trainui.Run(out, args={"lr": 0.1}, model=model, optimizer=optimizer, progress=False, **labels) as run:
        for it in range(1, 41):
            loss = model(torch.randn(8, 2)).pow(2).mean()
            optimizer.zero_grad(); loss.backward(); optimizer.step()
            run.log({"main/loss": loss.item()}, iteration=it)
            run.step(iteration=it)
            time.sleep(0.02)
""")


def run_job(out, **labels):
    done = subprocess.run([sys.executable, "-c", JOB, str(out), json.dumps(labels)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr


def row(page, name):
    return page.locator("tr[data-rid]", has=page.get_by_role("link", name=name, exact=True))


def chips(locator):
    return locator.locator(".tag-chip").evaluate_all("chips => chips.map(c => c.dataset.tag)")


def test_tags_from_code_and_the_ui_and_a_note_survive_a_restart_and_filter_the_table(start_server, page, tmp_path,
                                                                                      screenshot):
    root = tmp_path / "labelled"
    run_job(root / "tagged", tags=["baseline", "lr:0.1"])
    run_job(root / "plain")
    server = start_server(root=tmp_path / "server")
    project = server.create_project(root, "labelled")
    server.wait_for(lambda: len([r for r in server.results(project["id"]) if r["status"] == "finished"]) == 2)

    page.goto(f"{server.url}projects/{project['id']}")
    tagged, plain = row(page, "tagged"), row(page, "plain")
    wait_until(lambda: chips(tagged) == ["baseline", "lr:0.1"])
    hues = {c.get_attribute("data-tag"): c.evaluate("e => getComputedStyle(e).backgroundColor")
            for c in tagged.locator(".tag-chip").all()}
    assert hues["baseline"] != hues["lr:0.1"]  # each tag its own colour

    plain.get_by_role("button", name="Add a tag to plain").click()
    tag_input = plain.get_by_role("textbox", name="New tags for plain (space separated)")
    tag_input.fill("has space<")
    tag_input.press("Enter")  # refused in the page, saying why; the input stays open
    page.locator(".toast-error", has_text="no spaces").wait_for()
    tag_input.fill("from-ui ablation/no-aug")
    tag_input.press("Enter")
    wait_until(lambda: chips(plain) == ["from-ui", "ablation/no-aug"])
    tagged.get_by_role("button", name="Remove tag lr:0.1").click()
    wait_until(lambda: chips(tagged) == ["baseline"])

    tagged.get_by_role("button", name="Notes of tagged").click()  # the notes from the table: a dialog
    dialog = page.get_by_role("dialog", name="Notes of tagged")
    dialog.get_by_role("textbox", name="Notes (markdown)").fill("The *baseline*")
    dialog.locator(".notes-preview em", has_text="baseline").wait_for()
    dialog.get_by_role("button", name="Save").click()
    dialog.wait_for(state="detached")
    wait_until(lambda: tagged.locator("td[data-column='tags']").get_attribute("title") == "Notes: The *baseline*")

    plain_id = next(r["id"] for r in server.results(project["id"]) if r["name"] == "plain")
    page.goto(f"{server.url}results/{plain_id}")
    notes = page.get_by_role("region", name="Notes")
    notes.get_by_role("button", name="Edit").click()
    notes.get_by_role("textbox", name="Notes (markdown)").fill("## Why this run\nNo **augmentation**, see `aug=0`.\n\n- one\n- two")
    preview = notes.locator(".notes-preview")
    wait_until(lambda: preview.locator("strong").count() == 1 and preview.locator("li").count() == 2)
    notes.get_by_role("button", name="Save").click()
    notes.get_by_role("textbox", name="Notes (markdown)").wait_for(state="detached")  # saved: the editor closed
    notes.locator(".notes-view > .notes-body h4", has_text="Why this run").wait_for()
    assert page.locator(".result-tags .tag-chip").count() == 2

    server.stop()  # the labels are in the database, not in the page
    server.start()
    page.goto(f"{server.url}projects/{project['id']}")
    tagged, plain = row(page, "tagged"), row(page, "plain")
    wait_until(lambda: chips(plain) == ["from-ui", "ablation/no-aug"] and chips(tagged) == ["baseline"])
    # the job's file still says lr:0.1, but a user edited these tags: the edit wins after the re-read
    assert server.api("GET", f"results/{plain_id}")[1]["result"]["notes"].startswith("## Why this run")
    assert plain.locator("td[data-column='tags']").get_attribute("title") == "Notes: ## Why this run"
    tagged_id = next(r["id"] for r in server.results(project["id"]) if r["name"] == "tagged")
    assert server.api("GET", f"results/{tagged_id}")[1]["result"]["notes"] == "The *baseline*"

    screenshot(page, "tags-table")
    search = page.get_by_role("searchbox", name="Filter runs")
    search.fill("tag=baseline")
    wait_until(lambda: page.locator("tr[data-rid]").count() == 1 and tagged.count() == 1)
    search.fill("tag~ablation")
    wait_until(lambda: page.locator("tr[data-rid]").count() == 1 and plain.count() == 1)
    search.fill("tag!=baseline")
    wait_until(lambda: page.locator("tr[data-rid]").count() == 1 and plain.count() == 1)
    search.fill("tag>3")
    page.locator(".query-errors", has_text="tags are words").wait_for()

    page.goto(f"{server.url}results/{plain_id}")
    page.get_by_role("region", name="Notes").locator("h4", has_text="Why this run").wait_for()
    assert page.get_by_role("region", name="Notes").locator("code").text_content() == "aug=0"
    screenshot(page, "tags-and-notes-result")
    assert page.recorder.errors == []


HOSTILE_NOTES = "\n".join([
    "<script>window.__xss = 'script'</script>",
    '<img src=x onerror="window.__xss = \'img\'">',
    "[click me](javascript:window.__xss='link')",
    "[data](data:text/html,<script>window.__xss='data'</script>)",
    '**<svg onload="window.__xss=\'svg\'">**',
    "[fine](https://example.com/a?b=c) and [angle](https://example.com/<c>)",
])


def test_nothing_in_a_note_or_a_tag_runs_in_the_page(start_server, page, tmp_path):
    root = tmp_path / "hostile"
    run_job(root / "evil", notes=HOSTILE_NOTES, tags=["ok"])
    (root / "evil" / ".trainui" / "labels.json").write_text(json.dumps(
        {"tags": ["ok", "<img src=x onerror=window.__xss=1>"], "notes": HOSTILE_NOTES}))
    server = start_server(root=tmp_path / "server")
    project = server.create_project(root, "hostile")
    result = server.wait_for(lambda: next((r for r in server.results(project["id"]) if r["status"] == "finished"), None))
    assert "is not a tag" in result["ingest_error"]  # the hostile tag from the file: left out, and said
    status, body = server.api("PATCH", f"results/{result['id']}", json={"tags": ['"><img src=x onerror=alert(1)>']})
    assert status == 422 and "tag" in body["message"]

    page.goto(f"{server.url}results/{result['id']}")
    notes = page.get_by_role("region", name="Notes")
    notes.locator(".notes-body").wait_for()
    shown = notes.locator(".notes-body")
    assert "<script>window.__xss = 'script'</script>" in shown.text_content()  # shown as text
    assert shown.locator("script, img, svg, iframe").count() == 0
    links = shown.locator("a")
    assert [a.get_attribute("href") for a in links.all()] == ["https://example.com/a?b=c"]
    shown.get_by_text("[click me](javascript:", exact=False).click()
    notes.get_by_role("button", name="Edit").click()  # the preview renders the same text the same way
    preview = notes.locator(".notes-preview")
    assert preview.locator("script, img, svg, iframe").count() == 0
    notes.get_by_role("textbox", name="Notes (markdown)").fill(HOSTILE_NOTES + "\n<iframe src=javascript:window.__xss=9>")
    assert preview.locator("iframe").count() == 0
    page.wait_for_timeout(300)
    assert page.evaluate("window.__xss") is None
    assert page.locator(".result-tags .tag-chip").count() == 1

    page.goto(f"{server.url}projects/{project['id']}")
    row(page, "evil").locator(".tag-chip").wait_for()
    page.wait_for_timeout(300)
    assert page.evaluate("window.__xss") is None
    assert page.recorder.errors == []
