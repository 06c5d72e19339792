"""The README's notebook example runs as written."""

import re
from pathlib import Path

import numpy as np
import panel as pn

README = Path(__file__).resolve().parents[2] / "README.md"


def notebook_block() -> str:
    text = README.read_text()
    after = text.split("In Python or Jupyter", 1)[1]
    return re.search(r"```python\n(.*?)```", after, re.S).group(1)


def test_the_readme_notebook_example_runs_and_gives_the_page(capsys):
    namespace: dict = {}
    exec(compile(notebook_block(), "README.md", "exec"), namespace)
    first, iterates = capsys.readouterr().out.splitlines()
    assert first.startswith("(20000, 3) [")
    assert namespace["lorenz"].params["rho"] == 35.0
    exponents = np.array(namespace["lyapunov"].spectrum(namespace["lorenz"], t_max=200).exponents)
    assert exponents[0] > 0.5 and abs(exponents[1]) < 0.1 and exponents[2] < -10  # chaotic at ρ = 35
    x = [float(v) for v in iterates.strip("[]").split()]
    assert all(np.isclose(b, 3.9 * a * (1 - a)) for a, b in zip(x, x[1:]))  # the typed map iterates
    assert isinstance(namespace["page"], pn.template.BaseTemplate)
