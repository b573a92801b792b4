#!/usr/bin/env bats
# The scenarios of tini's own test suite (krallin/tini, test/ and
# test/run_*_tests.py at commit 369448a), ported to `solodyno run` with
# Procfile.web members, written anew. Where our contract deliberately differs
# from tini's, the test shows ours and says why.
#
# Not ported: tini -e (remapping exit codes), -w (a warning per reaped
# zombie: we reap orphans silently, as a dyno's log is not for that), the
# warning when tini is neither PID 1 nor a subreaper (we always make ourselves
# a subreaper), and tini's package installation tests.

load run_helper

setup() {
  run_setup
}

teardown() {
  run_teardown
}

# run_inner_tests.py, "exit code test": every status from 0 to 255 comes out
# unchanged (tini runs `sh -c "exit N"`).
@test "tini: the exit status of the member is ours, for every status 0 to 255" {
  local code
  for code in $(seq 0 255); do
    echo "only: exit $code" | web_file
    status=0
    "$SOLODYNO" run "$W/Procfile.web" >/dev/null 2>&1 || status=$?
    [ "$status" -eq "$code" ] || fail "exit $code gave $status"
  done
}

# run_inner_tests.py, "reaping test" (reaping/stage_1.py, stage_2.py): the
# member's child starts 100 short sleeps and exits at once; the member waits
# until it is the only process left under the supervisor, and fails if any
# zombie remains in its group.
@test "tini: 100 orphaned sleeps are re-parented to us and reaped; none is left, not even a zombie" {
  cat >"$W/stage_1.py" <<'PY'
import os, subprocess, sys, time
sup = os.getppid()
subprocess.Popen([sys.executable, "-c",
    "import random, subprocess\n"
    "for i in range(100):\n"
    "    subprocess.Popen(['sleep', str(1 + i % 2 + random.random())])"]).wait()
def descendants(pid):
    kids = set()
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            stat = open(f"/proc/{p}/stat").read()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            kids.add(int(p))
    return kids | {d for k in kids for d in descendants(k)}
deadline = time.monotonic() + 30
while descendants(sup) != {os.getpid()}:
    if time.monotonic() > deadline:
        sys.exit(2)
    time.sleep(0.5)
zombies = []
for p in os.listdir("/proc"):
    if p.isdigit():
        try:
            fields = open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] == "Z" and int(fields[2]) == os.getpgid(0):
            zombies.append(p)
sys.exit(1 if zombies else 0)
PY
  echo "reaper: exec python3 $W/stage_1.py" | web_file
  supervise
  [ "$SUP_STATUS" -eq 0 ]
}

# run_inner_tests.py, "signals test" (signals/test.py: the child resets
# TERM, USR1 and USR2 to their defaults and runs `sleep 100`): TERM, USR1 or
# USR2 to tini ends it with 128+N. TERM does the same here. USR1 and USR2 do
# not: passed on, they would kill a member that does not expect them (free
# Sidekiq, Node), so the supervisor keeps them; `solodyno signal` sends one to
# one member, and then the member dies of it and so does the dyno, as with tini.
@test "tini: TERM ends the dyno with 143; USR1 and USR2 are not passed on, but solodyno signal delivers them (138)" {
  cat >"$W/signals.py" <<'PY'
import os, signal
for s in (signal.SIGTERM, signal.SIGUSR1, signal.SIGUSR2):
    signal.signal(s, signal.SIG_DFL)
open(os.environ["W"] + "/signals.ready", "w").close()
os.system("sleep %s" % os.environ["S1"])
PY
  echo "child: exec python3 $W/signals.py" | web_file
  start_supervisor W="$W" S1="$S1"
  wait_until 10 test -e "$W/signals.ready"
  kill -TERM "$SUP"
  wait_exit
  [ "$SUP_STATUS" -eq 143 ]

  rm -f "$W/signals.ready"
  start_supervisor W="$W" S1="$S1"
  wait_until 10 test -e "$W/signals.ready"
  kill -USR1 "$SUP"
  kill -USR2 "$SUP"
  wait_until 10 grep -q "SIGUSR2 received: not passed on" "$W/err"
  run ended "$SUP"
  assert_failure
  run "$SOLODYNO" signal child USR1
  assert_success
  wait_exit
  [ "$SUP_STATUS" -eq 138 ]
  run cat "$W/err"
  assert_output --partial "child was killed by SIGUSR1, which ends the dyno"
  run alive "sleep $S1"
  assert_failure
}

# run_inner_tests.py, "process group test" (pgroup/stage_1.py: the child
# ignores USR1 and waits for a `sleep 1000` that does not): with tini -g, USR1
# kills the sleep, then the child exits, then tini. Here: solodyno signal
# --group.
@test "tini: solodyno signal --group reaches the member's children: the grandchild dies, the member and the dyno end" {
  cat >"$W/pgroup.py" <<'PY'
import os, signal, subprocess
signal.signal(signal.SIGUSR1, signal.SIG_IGN)
p = subprocess.Popen(["sleep", os.environ["S1"]],
                     preexec_fn=lambda: signal.signal(signal.SIGUSR1, signal.SIG_DFL))
open(os.environ["W"] + "/pgroup.ready", "w").close()
p.wait()
PY
  echo "child: exec python3 $W/pgroup.py" | web_file
  start_supervisor W="$W" S1="$S1"
  wait_until 10 test -e "$W/pgroup.ready"
  run "$SOLODYNO" signal --group child USR1
  assert_success
  wait_exit
  [ "$SUP_STATUS" -eq 0 ]
  run cat "$W/err"
  assert_output --partial "child exited with status 0, which ends the dyno"
}

# sigconf/sigconf-test.c: the parent ignores TTOU, SEGV and INT and blocks
# TTIN, ILL and TERM; tini restores exactly that for its child. Our contract
# differs on purpose: a member starts with every signal at its default and
# none blocked, whatever the shell before us did (`trap '' TERM` in a
# .profile.d script would otherwise make Puma ignore Heroku's SIGTERM).
@test "tini: the parent's ignored (TTOU, SEGV, INT) and blocked (TTIN, ILL, TERM) signals do not reach the member" {
  echo "probe: grep -E '^Sig(Blk|Ign):' /proc/self/status >$W/probe.status" | web_file
  start_via_python <<'PY'
import os, signal, sys
for s in (signal.SIGTTOU, signal.SIGSEGV, signal.SIGINT):
    signal.signal(s, signal.SIG_IGN)
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTTIN, signal.SIGILL, signal.SIGTERM})
os.execv(sys.argv[1], [sys.argv[1], "run", sys.argv[2]])
PY
  wait_exit
  [ "$SUP_STATUS" -eq 0 ]
  run cat "$W/probe.status"
  assert_line --regexp "^SigBlk:[[:space:]]+0+$"
  assert_line --regexp "^SigIgn:[[:space:]]+0+$"
}

# pdeathsignal/: tini -p SIGUSR1 gets USR1 when its parent dies. Our members
# get SIGTERM when the supervisor dies without stopping them (SIGKILL from
# outside), so they stop instead of running on unsupervised.
@test "tini: members get SIGTERM when the supervisor is killed with SIGKILL" {
  { waiter a; waiter b; } | web_file
  start_supervisor
  wait_until 10 test -s "$W/a.pid" -a -s "$W/b.pid"
  kill -KILL "$SUP"
  wait "$SUP" || true
  SUP=""
  wait_until 10 grep -q TERM "$W/a.terms"
  wait_until 10 grep -q TERM "$W/b.terms"
}

# run_outer_tests.py, "exit code test": a program that does not exist is 127;
# bad usage is an error, not a crash.
@test "tini: a command that does not exist gives 127; bad usage gives 2" {
  echo "only: zzzz-$S1" | web_file
  supervise
  [ "$SUP_STATUS" -eq 127 ]
  run "$SOLODYNO" run -z
  [ "$status" -eq 2 ]
  assert_output --partial "usage: solodyno run FILE"
}

# run_outer_tests.py, "test tty handling" with dash typed at: tini gives its
# child the terminal's foreground, so an interactive shell works and `exit 0`
# ends everything with 0. Same for the one member here (and its stdin is the
# terminal, as it is the foreground).
@test "tini: at a terminal, an interactive shell as the one member works and 'exit 0' ends the dyno with 0" {
  echo "shell: PS1='# ' exec dash -i" | web_file
  run pty_drive 'expect:# ' 'send:echo fg=$(ps -o tpgid= -p $$ | tr -d " ")-$$\n' 'expect:fg=[0-9]+-[0-9]+' \
    'send:exit 0\n' -- "$SOLODYNO" run "$W/Procfile.web"
  [ "$status" -eq 0 ]
  # The member's process group was the terminal's foreground.
  [[ "$output" =~ fg=([0-9]+)-([0-9]+) ]]
  [ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ]
}

# ...and Ctrl-C at the terminal reaches that member (a dash loop printing #),
# which dies of it: 130.
@test "tini: at a terminal, Ctrl-C reaches the one member in the foreground; 130" {
  echo "loop: exec dash -c 'while true; do echo \\#; sleep 0.1; done'" | web_file
  run pty_drive 'expect:#' 'send:\x03' -- "$SOLODYNO" run "$W/Procfile.web"
  [ "$status" -eq 130 ]
  assert_output --partial "loop was killed by SIGINT, which ends the dyno"
}
