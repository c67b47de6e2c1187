"""Notebook 06 opened and run in a real browser: JupyterLab in headless Chromium, driven through ChromeDriver's
WebDriver protocol (plain HTTP, no extra package). Skipped with a note where Chromium is not installed
(``apt-get install chromium chromium-driver``)."""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from mnist_studies import paths

NOTEBOOK = "06_read_your_pages.ipynb"
CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _call(base: str, method: str, path: str, body: dict | None = None, timeout: float = 60):
    data = json.dumps(body or {}).encode() if method == "POST" else None
    request = urllib.request.Request(base + path, method=method, data=data,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as answer:
        return json.loads(answer.read())["value"]


def _wait_for(check, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(1)
    raise AssertionError(f"timed out after {seconds:.0f} s waiting for {what}")


# the open notebook's state, read from JupyterLab's own objects (the app is exposed with --expose-app-in-browser)
STATE = """
const app = window.jupyterapp;
const panel = app && app.shell.currentWidget;
const kernel = panel && panel.sessionContext && panel.sessionContext.session && panel.sessionContext.session.kernel;
if (!kernel || !panel.context.isReady) { return null; }
const cells = panel.content.widgets.filter(c => c.model.type === 'code');
const outputs = cells.flatMap(c => c.model.outputs.toJSON());
return {kernel: kernel.name, status: kernel.status, dirty: panel.context.model.dirty,
        pending: cells.filter(c => c.model.executionCount === null).length,
        errors: outputs.filter(o => o.output_type === 'error').map(o => o.ename + ': ' + o.evalue),
        images: outputs.filter(o => o.data && o.data['image/png']).length};
"""


@pytest.mark.slow
@pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER), reason="headless Chromium and ChromeDriver are not installed "
                                                            "(apt-get install chromium chromium-driver)")
def test_notebook_06_opens_unmodified_with_the_project_kernel_and_runs_in_a_browser(tmp_path):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    shutil.copy(paths.NOTEBOOKS_DIR / NOTEBOOK, folder / NOTEBOOK)  # JupyterLab may save it: a copy
    env = {**os.environ, **{f"MNIST_STUDIES_{k}": str(tmp_path / k.lower()) for k in ("RESULTS", "RUNS", "FIGURES")}}
    lab_port, driver_port = _free_port(), _free_port()
    jupyter = Path(sys.executable).with_name("jupyter")
    lab = subprocess.Popen([str(jupyter), "lab", "--no-browser", "--allow-root", "--expose-app-in-browser",
                            "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={lab_port}",
                            "--IdentityProvider.token=browser-test", f"--notebook-dir={folder}"],
                           env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    driver = subprocess.Popen([CHROMEDRIVER, f"--port={driver_port}"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{driver_port}"
    try:
        _wait_for(lambda: _status(base), 30, "ChromeDriver")
        options = {"binary": CHROMIUM, "args": ["--headless", "--no-sandbox", "--disable-gpu",
                                                "--disable-dev-shm-usage", "--disable-background-networking",
                                                "--disable-component-update", "--disable-sync", "--no-first-run",
                                                f"--user-data-dir={tmp_path / 'chromium'}"]}
        session = _call(base, "POST", "/session", {"capabilities": {"alwaysMatch": {
            "browserName": "chrome", "goog:chromeOptions": options}}})["sessionId"]
        _wait_for(lambda: _lab_up(lab_port), 60, "JupyterLab")
        _call(base, "POST", f"/session/{session}/url",
              {"url": f"http://127.0.0.1:{lab_port}/lab/tree/{NOTEBOOK}?token=browser-test"}, timeout=120)
        state = lambda: _call(base, "POST", f"/session/{session}/execute/sync",  # noqa: E731
                              {"script": STATE, "args": []})
        opened = _wait_for(lambda: (s := state()) and s["status"] == "idle" and s, 120, "the notebook and its kernel")
        assert opened["kernel"] == "mnist-studies" and not opened["dirty"], opened  # unmodified, project kernel
        _call(base, "POST", f"/session/{session}/execute/sync",
              {"script": "window.jupyterapp.commands.execute('notebook:run-all-cells'); return true;", "args": []})
        done = _wait_for(lambda: (s := state()) and not s["pending"] and s["status"] == "idle" and s, 300,
                         "every cell to run")
        assert not done["errors"], done["errors"]
        assert done["images"] >= 2, done  # the example pages beside their readings
        _call(base, "DELETE", f"/session/{session}")
    finally:
        driver.terminate()
        lab.terminate()
        lab.wait(timeout=30)


def _status(base: str) -> bool:
    try:
        return bool(_call(base, "GET", "/status", timeout=5))
    except OSError:
        return False


def _lab_up(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status?token=browser-test", timeout=5):
            return True
    except OSError:
        return False
