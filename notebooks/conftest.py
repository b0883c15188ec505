"""Run the tutorial notebooks with nbval in the default ``pytest`` run.

``pytest`` (whose ``testpaths`` include this folder) validates every notebook
here as ``pytest --nbval`` would, in a kernel of the interpreter running pytest.
Cells marked ``# NBVAL_IGNORE_OUTPUT`` run but their output (ports, org ids,
widgets) is not compared.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def pytest_collect_file(file_path: Path, parent: Any) -> Any:
    option = parent.config.option
    if file_path.suffix != ".ipynb" or option.nbval or option.nbval_lax:
        return None
    from nbval.plugin import IPyNbFile

    option.nbval_current_env = True
    return IPyNbFile.from_parent(parent, path=file_path)
