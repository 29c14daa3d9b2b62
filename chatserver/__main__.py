"""``python -m chatserver``: the same as the ``chatserver`` command."""

from chatserver.cli import main

raise SystemExit(main())
