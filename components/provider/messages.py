"""Progress and warning lines from a provider process, one message per line.

The engine shows a provider's stderr line by line. `print()` writes a message and its newline
as two writes, so two threads (a sweep's trials, say) reporting at once could glue one message
onto the next; each message leaves here in one write instead, which a pipe never interleaves
with another process's or thread's (up to PIPE_BUF bytes).
"""

from __future__ import annotations

import os
import sys


def say(message: str) -> None:
    line = (message.rstrip("\n") + "\n").encode()
    try:
        descriptor = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # a stand-in stderr without a descriptor (a test's capture)
        sys.stderr.write(line.decode())
        sys.stderr.flush()
        return
    sys.stderr.flush()
    while line:
        line = line[os.write(descriptor, line) :]
