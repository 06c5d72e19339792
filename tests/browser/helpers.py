"""What a test reads off the page: the Bokeh document, not pixels."""

from __future__ import annotations

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


def open_app(page, url, timeout=30_000):
    page.goto(url)
    page.wait_for_function(IDLE, timeout=timeout)
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


# Tornado and Bokeh log these when a browser tab closes while the server is still talking to it
# (a test ends, the page closes): races in the web server on disconnect, not the lab's errors.
DISCONNECT_NOISE = ("WebSocketClosedError", "StreamClosedError", "assert self._session is not None")


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
