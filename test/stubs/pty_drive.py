#!/usr/bin/env python3
"""pty_drive.py STEP... -- COMMAND [ARG...]: runs COMMAND on a new terminal
(it is the session leader and the terminal is its controlling one, as in a
login shell or `docker run -it`) and plays the steps:

  expect:REGEX   wait (at most 20 s) until the output so far matches REGEX
  send:TEXT      type TEXT (Python escapes: \\n, \\x03 for Ctrl-C, \\x1a for Ctrl-Z)
  sleep:SECONDS

then waits (at most 60 s) for COMMAND to end. Prints the whole transcript
(\\r\\n turned into \\n), and exits with COMMAND's status the way a shell
reports it (128+N when signal N killed it); 124 when a step timed out.
"""
import os
import pty
import re
import select
import signal
import sys
import time

sep = sys.argv.index("--")
steps, command = sys.argv[1:sep], sys.argv[sep + 1:]

pid, fd = pty.fork()
if pid == 0:
    os.execvp(command[0], command)

transcript = b""


def read_some(timeout):
    global transcript
    ready, _, _ = select.select([fd], [], [], timeout)
    if not ready:
        return False
    try:
        chunk = os.read(fd, 4096)
    except OSError:  # EIO: every process holding the terminal is gone
        return None
    if not chunk:
        return None
    transcript += chunk
    return True


def finish(status):
    sys.stdout.write(transcript.decode("utf-8", "replace").replace("\r\n", "\n"))
    sys.exit(status)


for step in steps:
    kind, _, arg = step.partition(":")
    if kind == "expect":
        end = time.monotonic() + 20
        while not re.search(arg.encode(), transcript):
            if time.monotonic() > end or read_some(0.1) is None:
                os.kill(pid, signal.SIGKILL)
                finish(124)
    elif kind == "send":
        os.write(fd, arg.encode().decode("unicode_escape").encode("latin-1"))
    elif kind == "sleep":
        end = time.monotonic() + float(arg)
        while time.monotonic() < end and read_some(0.05) is not None:
            pass

end = time.monotonic() + 60
while True:
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        break
    if time.monotonic() > end:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        finish(124)
    read_some(0.05)
while read_some(0.05):
    pass
finish(128 + os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status))
