"""Run localstripe on 127.0.0.1:<port> without pickling its store to /tmp after every POST.

localstripe's own start() binds every interface and `Store.dump_to_disk` writes /tmp/localstripe.pickle
after each request (slow, and parallel instances clobber each other): this wrapper turns the dump into
a no-op and listens on loopback only. Usage: python -m tests.support.localstripe_server PORT
"""
from __future__ import annotations

import logging
import sys


def main() -> None:
    from aiohttp import web
    from localstripe import resources
    from localstripe.server import app

    resources.Store.dump_to_disk = lambda self: None  # keep everything in memory
    logging.basicConfig(level=logging.WARNING)
    web.run_app(app, host='127.0.0.1', port=int(sys.argv[1]), print=None)


if __name__ == '__main__':
    main()
