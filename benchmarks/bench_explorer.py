"""Scenario explorer benchmark: a synthetic client of 1,000 employees (20 positions, 5 KPIs, 6 periods).

- model: from a changed setting (a KPI weight moved, the others renormalised) to recomputed
  figures (``ExplorerModel.set_weight`` + ``results()``), median over 50 changes; target 50 ms.
  The engine's share is measured on its own: ``compute_bonuses`` for the position's employees.
- browser: ``kpi-toolkit workshop`` serving the same client (written as a client folder),
  headless Chromium moving the weight slider with the keyboard; from the key press to the
  updated pool on the page, timed inside the page, median over 10 moves; target 300 ms.
"""
from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
EMPLOYEES, PERIODS = 1000, 6
MODEL_CHANGES, BROWSER_MOVES = 50, 10
TARGETS = {"model_ms": 50, "browser_ms": 300}
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]

# Sets window.ktPoolChanged: a promise of the milliseconds from the next key press to the moment the
# pool on the page changes.
WATCH_POOL = """() => { window.ktPoolChanged = new Promise(resolve => {
  const before = document.querySelector('.kt-pool-value').innerText;
  let pressed = null;
  document.addEventListener('keydown', () => { pressed = performance.now(); }, {capture: true, once: true});
  const watched = document.querySelector('.kt-cards').closest('.widget-html');
  const observer = new MutationObserver(() => {
    const pool = document.querySelector('.kt-pool-value');
    if (pressed !== null && pool && pool.innerText !== before) {
      observer.disconnect();
      resolve(performance.now() - pressed);
    }
  });
  observer.observe(watched, {subtree: true, childList: true, characterData: true});
}); }"""


def model_timings(client) -> dict:
    """Median time from a weight change to the explorer's figures, and the engine's part of it."""
    from kpi_toolkit import compute_bonuses
    from kpi_toolkit.explorer.model import ExplorerModel
    from kpi_toolkit.method.sensitivity import restrict_to_position

    model = ExplorerModel(client)
    kpi = next(iter(model.scheme().kpis))
    times = []
    for i in range(MODEL_CHANGES):
        start = time.perf_counter()
        model.set_weight(kpi, 0.2 + (i % 10) * 0.03)
        model.results()
        times.append((time.perf_counter() - start) * 1000)
    sub = restrict_to_position(client, model.position, model.period)
    engine = []
    for _ in range(MODEL_CHANGES):
        start = time.perf_counter()
        compute_bonuses(sub, model.period)
        engine.append((time.perf_counter() - start) * 1000)
    return {"position": model.position, "position_employees": model.headcount(), "changes": MODEL_CHANGES,
            "median_ms": statistics.median(times), "p90_ms": _p90(times), "max_ms": max(times),
            "engine_median_ms": statistics.median(engine)}


def browser_timings(folder: Path) -> dict:
    """Median time in the page from a key press on the weight slider to the updated pool."""
    from playwright.sync_api import sync_playwright

    from kpi_toolkit.explorer.workshop import free_port

    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "kpi_toolkit.cli", "workshop", str(folder), "--port", str(port)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output: list[str] = []
    reader = threading.Thread(target=lambda: output.extend(process.stdout), daemon=True)
    reader.start()
    try:
        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 300
        while url not in "".join(output):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the workshop app did not start:\n" + "".join(output))
            time.sleep(0.2)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1440, "height": 1000})
            start = time.perf_counter()
            page.goto(url, timeout=300_000)
            page.wait_for_selector(".kt-pool-value", timeout=300_000)
            first_page = time.perf_counter() - start
            handle = page.locator(".kt-weight .noUi-handle").first
            handle.focus()
            times = []
            for i in range(BROWSER_MOVES + 2):  # the first two warm up
                page.evaluate(WATCH_POOL)
                handle.press("ArrowRight" if i % 2 == 0 else "ArrowLeft")
                elapsed = page.evaluate("() => window.ktPoolChanged")
                if i >= 2:
                    times.append(elapsed)
            browser.close()
    finally:
        process.send_signal(2)  # Ctrl-C
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
    return {"moves": BROWSER_MOVES, "median_ms": statistics.median(times), "p90_ms": _p90(times),
            "max_ms": max(times), "first_page_seconds": first_page}


def _p90(values) -> float:
    return sorted(values)[max(int(round(0.9 * len(values))) - 1, 0)]


def main() -> dict:
    sys.path.insert(0, str(HERE))
    from synthetic import synthetic_client, write_client_folder

    client = synthetic_client(EMPLOYEES, PERIODS)
    model = model_timings(client)
    with tempfile.TemporaryDirectory(prefix="bench-explorer-") as tmp:
        folder = Path(tmp) / "synthetic"
        write_client_folder(client, folder)
        browser = browser_timings(folder)
    result = {"employees": EMPLOYEES, "periods": PERIODS, "model": model, "browser": browser, "targets": TARGETS}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "explorer.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    rows = [
        ("setting -> figures (model), median", model["median_ms"], TARGETS["model_ms"]),
        ("  of which the engine on the position", model["engine_median_ms"], None),
        ("setting -> figures (model), 90th percentile", model["p90_ms"], None),
        ("slider -> pool on the page, median", browser["median_ms"], TARGETS["browser_ms"]),
        ("slider -> pool on the page, 90th percentile", browser["p90_ms"], None),
    ]
    print(f"Scenario explorer, {EMPLOYEES:,} employees ({model['position_employees']} in position "
          f"{model['position']}); {MODEL_CHANGES} changes, {BROWSER_MOVES} slider moves")
    print(f"{'measure':<46}{'ms':>10}{'target':>10}")
    for name, value, target in rows:
        mark = "" if target is None else ("  ok" if value < target else "  MISSED")
        print(f"{name:<46}{value:>10.1f}{'' if target is None else f'{target:>10}'}{mark}")
    print(f"first page load (kernel start and first figures): {browser['first_page_seconds']:.1f} s")
    return result


if __name__ == "__main__":
    main()
