"""The record files' git merge driver under the name earlier versions configured.

A clone set up before the core was grouped names ``protocolrunner.core.merge_driver`` in its
``.git/config``; ``sync`` rewrites that on its next run, but a member's hand-run ``git pull``
before then still calls this name. The driver itself is ``core.record.merge_driver``.
"""

import sys

from .record.merge_driver import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
