import sys

from tanping.cli import main

sys.exit(main())
