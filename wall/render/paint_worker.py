"""A paint worker's process: `python -m wall.render.paint_worker PARENT_PID` (started by PaintPool).

It reads jobs (pickles) from stdin, paints each, and writes the reply to stdout: the name of the
shared-memory file holding the picture, or why it could not paint. Its own stdout is the pipe, so
anything a painter or library prints goes to stderr instead.
"""

from __future__ import annotations

import os
import pickle
import sys


def main() -> None:
    from .paint_pool import _worker_init, _worker_paint, receive, send

    jobs = os.fdopen(os.dup(0), "rb")
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # prints land in the log, not in the pipe
    sys.stdout = sys.stderr
    _worker_init(int(sys.argv[1]) if len(sys.argv) > 1 else None)
    while True:
        try:
            message = receive(jobs)
        except EOFError:
            return  # the wall closed the pipe: it is stopping
        try:
            reply: tuple = ("done", _worker_paint(*pickle.loads(message)))
        except Exception as exc:  # paint_view turns a painter's failure into a card; this is the rest
            reply = ("failed", f"{type(exc).__name__}: {exc}")
        send(replies, pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL))


if __name__ == "__main__":
    main()
