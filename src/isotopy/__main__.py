"""``python -m isotopy`` is the ``isotopy`` command."""

import sys

from .cli import main

sys.exit(main())
