"""An asset is a file anyone who can write into a result directory may have put there. An ``.svg``
listed in ``.trainui/assets.jsonl`` with a script in it, opened through every way the UI offers
(its tile, the lightbox, the lightbox's "Open file" link, the file's address typed in), is drawn
as an image and runs nothing: no request leaves it, no command is posted. Before, "Open file"
showed it as a page of the dashboard's origin, and its script posted a command with the viewer's
rights."""
from __future__ import annotations

import json

import numpy as np

import trainui
from trainui import protocol
from browser_helpers import wait_until


def hostile_svg(result_id: int) -> str:
    post = ("fetch('/api/v1/results/%d/commands',{method:'POST',headers:{'Content-Type':'application/json'},"
            "body:JSON.stringify({name:'stop'})});" % result_id)
    return ('<svg xmlns="http://www.w3.org/2000/svg" width="40" height="30" '
            'onload="new Image().src=\'/svg-ran-onload\'">'
            '<rect width="40" height="30" fill="red"/>'
            '<script>new Image().src="/svg-ran-script";%s</script>'
            '<image href="/svg-ran-image" width="1" height="1"/></svg>' % post)


def test_an_svg_with_a_script_runs_nothing_however_it_is_opened(trainui_server, browser, tmp_path):
    root = tmp_path / "project"
    run = trainui.Run(str(root / "live"), args={"lr": 0.1}, progress=False, handle_signals=False)
    try:
        run.step(iteration=1)
        run.log({"loss": 1.0}, iteration=1)
        run.log_image("ok", np.zeros((30, 40, 3), dtype=np.uint8), step=1)
        run.flush()
        project = trainui_server.create_project(root, "hostile")
        rid = trainui_server.wait_for(lambda: trainui_server.results(project["id"]))[0]["id"]
        (root / "live" / "evil.svg").write_text(hostile_svg(rid))
        with open(root / "live" / protocol.ASSETS_INDEX, "a") as f:
            f.write(json.dumps(protocol.AssetRecord(tag="drawing", step=1, path="evil.svg").to_json()) + "\n")
        trainui_server.wait_for(lambda: len(trainui_server.api("GET", f"results/{rid}/assets")[1]["assets"]) == 2)

        context = browser.new_context(viewport={"width": 1440, "height": 1000}, accept_downloads=True)
        requests_seen, errors = [], []
        context.on("request", lambda r: requests_seen.append(r.url))
        page = context.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.set_default_timeout(15000)
        page.goto(f"{trainui_server.url}results/{rid}")
        tile = page.locator(".image-figure[data-tag='drawing'] img")
        tile.wait_for()
        wait_until(lambda: page.evaluate("(img) => img.complete && img.naturalWidth === 40", tile.element_handle()), page=page)

        page.get_by_role("button", name="Open drawing at step 1 full size").click()
        dialog = page.get_by_role("dialog")
        big = dialog.locator("img.lightbox-img")
        wait_until(lambda: page.evaluate("(img) => img.complete && img.naturalWidth === 40", big.element_handle()), page=page)

        link = dialog.get_by_role("link", name="Open file")
        asset_url = link.get_attribute("href")
        downloads = []
        page.on("download", lambda d: downloads.append(d))
        context.on("page", lambda opened: opened.on("download", lambda d: downloads.append(d)))
        link.click()  # opens a tab, which becomes a download
        wait_until(lambda: downloads or len(context.pages) > 1, page=page)  # (events arrive while playwright waits)
        page.wait_for_timeout(1500)

        typed = context.new_page()  # the file's address, typed in
        try:
            typed.goto(page.evaluate("(u) => new URL(u, document.baseURI).href", asset_url))
        except Exception as error:  # Chromium: "Download is starting", not a page
            assert "Download" in str(error), error
        typed.wait_for_timeout(1000)
        context.close()

        assert [u for u in requests_seen if "svg-ran" in u] == []
        commands = trainui_server.api("GET", f"results/{rid}/commands")[1]["commands"]
        assert commands == [], commands
        assert errors == []
        # the link and the typed address: each a download of the file, not a page
        assert [d.suggested_filename for d in downloads] == ["evil.svg", "evil.svg"]
    finally:
        run.close()
