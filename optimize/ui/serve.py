"""Start the app with its heavy modules already imported: ``python -m optimize.ui.serve
[streamlit run options]`` is ``streamlit run app.py [options]`` (what ``make run`` uses).

Streamlit imports a page's modules when the first browser session runs it, so the first
manager to open a fresh server waited for pandas and the app's packages (about half a
second on 2 cores, ``bench/bench_cold_start.py``). Importing them here, before the server
starts, moves that wait to start-up. Nothing else differs from ``streamlit run``.
"""

from __future__ import annotations

import sys
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app.py"


def main(argv: list[str] | None = None) -> int:
    """Import the app's modules, then run ``streamlit run app.py`` with ``argv``."""
    import numpy  # noqa: F401
    import pandas  # noqa: F401
    from streamlit.web import cli

    import optimize.outputs.figures  # noqa: F401
    import optimize.records  # noqa: F401
    import optimize.ui.insights  # noqa: F401
    import optimize.ui.plans  # noqa: F401
    import optimize.ui.state  # noqa: F401
    import optimize.ui.views  # noqa: F401

    sys.argv = ["streamlit", "run", str(APP), *(sys.argv[1:] if argv is None else argv)]
    return cli.main(prog_name="streamlit")


if __name__ == "__main__":
    sys.exit(main())
