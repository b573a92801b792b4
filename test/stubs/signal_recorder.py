#!/usr/bin/env python3
"""signal_recorder.py BASE: a process that records every signal it gets.

Like dumb-init's testing/print_signals.py (Yelp/dumb-init), in our own words:
each catchable signal is caught and its name appended, one per line, to
BASE.sigs; the pid goes to BASE.pid once the handlers are in place. SIGTERM is
recorded, then ends it with status 0, so a supervisor's stop works; SIGKILL
ends it as always.
"""
import os
import signal
import sys
import time

base = sys.argv[1]
log = open(base + ".sigs", "a", buffering=1)


def name_of(signum):
    try:
        return signal.Signals(signum).name
    except ValueError:
        return str(signum)


def record(signum, _frame):
    log.write(name_of(signum) + "\n")
    if signum == signal.SIGTERM:
        sys.exit(0)


catchable = set(range(1, signal.NSIG)) - {signal.SIGKILL, signal.SIGSTOP, 32, 33}
for s in catchable:
    try:
        signal.signal(s, record)
    except (OSError, ValueError):
        pass

with open(base + ".pid.tmp", "w") as f:
    f.write(str(os.getpid()))
os.rename(base + ".pid.tmp", base + ".pid")

while True:
    time.sleep(0.05)
