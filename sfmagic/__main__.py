"""``python -m sfmagic``: the same as the ``sfmagic`` command."""

from sfmagic.cli import main

raise SystemExit(main())
