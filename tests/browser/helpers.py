"""What a test reads off the page: the Bokeh document, not pixels."""

from __future__ import annotations

import re
import time

IDLE = "() => window.Bokeh && Bokeh.documents.length > 0 && Bokeh.documents[0].is_idle"

# A signature of every rasterized image, keyed by its plot's x-axis label: changes when the
# image array in the Bokeh document changes.
IMAGES = """() => {
  const out = {};
  for (const m of Bokeh.documents[0].all_models) {
    if (m.type !== "Figure" && m.type !== "Plot") continue;
    const label = (m.below[0] && m.below[0].axis_label) || "?";
    for (const r of m.renderers) {
      const data = r.data_source && r.data_source.data && r.data_source.data.image;
      if (!data) continue;
      let sum = 0, count = 0;
      // drawn pixels: finite counts, or non-transparent RGBA (0 is an empty pixel of a shaded image)
      for (const v of data[0]) { if (Number.isFinite(v) && v !== 0) { sum += v * (1 + (count % 7)); count++; } }
      out[label] = [count, sum];
    }
  }
  return out;
}"""

# True once every plot titled (at the start) by one of ``titles`` is painted: its BokehJS view has
# finished rendering
PAINTED = """(titles) => titles.every((title) => window.Bokeh && Bokeh.index.query_one((view) =>
  view.model.title != null && typeof view.model.title.text === "string"
  && view.model.title.text.startsWith(title) && view.has_finished()) != null)"""


# the titles of the figures showing a drawn image
TITLED_IMAGES = """() => {
  const out = [];
  for (const m of Bokeh.documents[0].all_models) {
    if (m.type !== "Figure" && m.type !== "Plot") continue;
    const title = m.title && m.title.text;
    const drawn = m.renderers.some(r => r.data_source && r.data_source.data && r.data_source.data.image
                                        && r.data_source.data.image[0].some(Number.isFinite));
    if (title && drawn) out.push(title);
  }
  return out;
}"""


def titled_images(page) -> list[str]:
    """The titles of the figures whose image has drawn pixels."""
    return page.evaluate(TITLED_IMAGES)


# the plotting frame of the figure whose x axis is ``label`` (or whose title contains it), in page
# coordinates
FRAME = """(label) => {
  function* walk(v) { yield v; for (const c of (v.child_views ?? [])) yield* walk(c); }
  for (const root of Object.values(Bokeh.index)) for (const v of walk(root)) {
    const m = v.model;
    const title = m.title && m.title.text ? m.title.text : "";
    if ((m.type === "Figure" || m.type === "Plot") && ((m.below.length && m.below[0].axis_label === label) || title.includes(label))) {
      v.el.scrollIntoView({block: "center"});  // a click lands only inside the viewport
      const r = v.el.getBoundingClientRect(), f = v.frame.bbox;
      return {x: r.x + f.x, y: r.y + f.y, width: f.width, height: f.height};
    }
  }
  return null;
}"""


# the butterfly's members as the page paints them: window.butterflyFrames gets a timestamp per new frame
WATCH_FRAMES = """() => {
  for (const m of Bokeh.documents[0].all_models)
    if (m.type === "ColumnDataSource" && m.data.colour !== undefined && m.data.x !== undefined
        && m.data.xs === undefined && m.data.x.length === 2) {
      window.butterflyFrames = [];
      let last = null;
      const watch = () => {
        const x = m.data.x[0];
        if (x !== last) { window.butterflyFrames.push(performance.now()); last = x; }
        requestAnimationFrame(watch);
      };
      watch();
      return true;
    }
  return false;
}"""


def open_app(page, url, timeout=30_000):
    """The page loaded, with the explorer's attractor drawn when the explorer is the tab it opens on
    (a hidden tab is not in the document)."""
    page.goto(url)
    page.wait_for_function(IDLE, timeout=timeout)
    tab = re.search(r"[?&]tab=(\w+)", url)
    if tab is None or tab.group(1) == "explorer":
        wait_for(lambda: attractor(page) is not None and attractor(page)[0] > 0, timeout=timeout / 1000)


def images(page) -> dict:
    return page.evaluate(IMAGES)


def attractor(page):
    sigs = images(page)
    for label in ("screen x", "x0", "x[k]"):
        if label in sigs:
            return tuple(sigs[label])
    return None


def wait_for(condition, timeout=20.0, interval=0.1, why=None):
    """Poll ``condition`` until true; on time-out, ``why()`` (if given) says what the page showed."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if condition():
                return True
        except Exception:  # the document may be mid-update
            pass
        time.sleep(interval)
    detail = ""
    if why is not None:
        try:
            detail = f": {why()}"
        except Exception as exc:  # the description must never hide the time-out
            detail = f" (and describing the page failed: {exc})"
    raise AssertionError(f"condition not met in {timeout:g} s{detail}")


def wait_for_change(page, before, timeout=20.0):
    wait_for(lambda: attractor(page) not in (None, before), timeout)
    return attractor(page)


def set_text(page, label, value):
    box = page.get_by_label(label, exact=True)
    box.fill(str(value))
    box.press("Enter")


def choose_system(page, name):
    page.locator("select:not([multiple])").filter(has=page.locator(f"option[value='{name}']")).select_option(name)


def text(page, css) -> str:
    """Visible text of a Panel pane (its content lives in a shadow root)."""
    return " ".join(page.locator(css).locator("p, li, h3").all_inner_texts())


# Bokeh logs this when a browser tab closes while a session is still being set up (a test ends, the
# page closes): a race in the web server on disconnect, not the lab's error. A write to a closed
# socket is not noise: the server logs it in one line (``dashboards.lab._quiet_disconnects``).
DISCONNECT_NOISE = ("assert self._session is not None",)


def server_errors(log) -> list[str]:
    """The tracebacks and ERROR lines of the server log, less the disconnect noise above."""
    blocks, current = [], None
    for line in log.read_text().splitlines():
        if line.startswith("Traceback") or " ERROR " in line or line.startswith("ERROR"):
            current = [line]
            blocks.append(current)
        elif current is not None and (line.startswith((" ", "\t")) or not line[:4].isdigit()):
            current.append(line)
        else:
            current = None
    texts = ["\n".join(b) for b in blocks]
    return [t for t in texts if not any(noise in t for noise in DISCONNECT_NOISE)]


# the x range shown by the figure whose x axis is ``label``: [start, end]
X_RANGE = """(label) => {
  for (const m of Bokeh.documents[0].all_models)
    if ((m.type === "Figure" || m.type === "Plot") && m.below.length && m.below[0].axis_label === label)
      return [m.x_range.start, m.x_range.end];
  return null;
}"""


def stop_cluster(workers: list, scheduler: list) -> None:
    """Stop a department's processes as a department stops them: the workers first (each closes
    its own client while the scheduler still answers), then the scheduler; stopped together,
    every worker logged its lost connection with a traceback."""
    import subprocess

    for group in (workers, scheduler):
        for process in group:
            process.terminate()
        for process in group:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
