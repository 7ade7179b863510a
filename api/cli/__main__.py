"""``python -m api.cli``: the ``fostermatch`` command."""

import sys

from api.cli.main import main

sys.exit(main())
