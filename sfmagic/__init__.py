"""sfmagic: Salesforce as a first-class citizen of Jupyter.

``%load_ext sfmagic`` in a notebook; ``sfmagic.emulator.start()`` for a local org.
"""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["__version__"]
