"""`python -m bench` (`make bench`): see bench/engine.py and bench/README.md."""

import sys

from bench.engine import main

sys.exit(main())
