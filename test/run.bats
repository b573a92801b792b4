#!/usr/bin/env bats
# solodyno run: the supervisor of a web dyno's processes, tested with real
# processes (bash snippets as members), then through the real path (bin/compile,
# then the dyno helper), then end to end with Puma, Sidekiq and Redis.

load test_helper

setup() {
  common_setup
  W="$BATS_TEST_TMPDIR/w"
  mkdir -p "$W"
  SOLODYNO="$SOLODYNO_BUILD_DIR/solodyno"
  # Unique sleep lengths: pgrep must never see another test run's processes.
  S1=$((200000 + RANDOM * 4))
  S2=$((S1 + 1))
  S3=$((S1 + 2))
  S4=$((S1 + 3))
  SUP=""
}

teardown() {
  if [[ -n "$SUP" ]]; then kill -KILL "$SUP" 2>/dev/null || true; fi
  pkill -KILL -f "sleep (0\.)?($S1|$S2|$S3|$S4)" 2>/dev/null || true
  if [[ -n "${REDIS_PID:-}" ]]; then
    kill -TERM "$REDIS_PID" 2>/dev/null || true
    wait "$REDIS_PID" 2>/dev/null || true
  fi
}

# The members, one Procfile.web line each, from stdin.
web_file() {
  cat >"$W/Procfile.web"
}

# start_supervisor [NAME=VALUE...]: solodyno run in the background; stdout in
# $W/out, stderr in $W/err, pid in $SUP.
start_supervisor() {
  env "$@" "$SOLODYNO" run "$W/Procfile.web" >"$W/out" 2>"$W/err" 3>&- &
  SUP=$!
}

# True once process $1 has ended (gone, or a zombie waiting for `wait`).
ended() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
  stat=${stat##*) }
  [[ "${stat%% *}" == Z ]]
}

# wait_exit: waits (at most 60 s) for the supervisor; its status in $SUP_STATUS.
wait_exit() {
  if ! wait_until 60 ended "$SUP"; then
    echo "the supervisor did not exit; its stderr:" >&2
    cat "$W/err" >&2
    return 1
  fi
  SUP_STATUS=0
  wait "$SUP" || SUP_STATUS=$?
  SUP=""
}

# start_via_python <<'PY' ... PY: the Python program on stdin sets up what the
# supervisor inherits (signal dispositions, mask, pending signals, stdout),
# then becomes it with os.execv (argv[1] is solodyno, argv[2] the file).
start_via_python() {
  local program
  program=$(cat)
  python3 -c "$program" "$SOLODYNO" "$W/Procfile.web" >"$W/out" 2>"$W/err" 3>&- &
  SUP=$!
}

# supervise [NAME=VALUE...]: runs the supervisor to its end.
supervise() {
  start_supervisor "$@"
  wait_exit
}

# Processes whose command line matches $1 (extended regexp), zombies excluded.
alive() {
  pgrep -f "$1" >/dev/null
}

none_alive() {
  ! pgrep -f "$1" >/dev/null
}

# Zombie children of process $1.
zombies_of() {
  local p stat rest
  for p in /proc/[0-9]*; do
    stat=$(cat "$p/stat" 2>/dev/null) || continue
    rest=${stat##*) }
    read -r state ppid _ <<<"$rest"
    if [[ "$state" == Z && "$ppid" == "$1" ]]; then echo "${p#/proc/}"; fi
  done
}

# Field NAME of /proc/PID/status.
proc_status() {
  sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status"
}

# A member that waits, interruptibly, until a signal arrives: bash runs a trap
# only between commands, so the sleep runs in the background and `wait` is
# what gets interrupted.
waiter() {
  printf "%s: trap 'echo TERM >>%s/%s.terms; %s; exit 0' TERM; echo \$\$ >%s/%s.pid; while :; do sleep %s & wait \$!; done\n" \
    "$1" "$W" "$1" "${2:-:}" "$W" "$1" "$S1"
}

# ---- 1. exit status -----------------------------------------------------------

@test "run: the supervisor exits with the status of the member that ended (0, 1, 2, 127, 255)" {
  local code
  for code in 0 1 2 255; do
    printf 'ends: sleep 0.1; exit %s\nwaits: sleep %s\n' "$code" "$S1" | web_file
    supervise
    [ "$SUP_STATUS" -eq "$code" ]
    run cat "$W/err"
    assert_output --partial "ends exited with status $code; stopping the others"
  done
  printf 'ends: no-such-command-%s\nwaits: sleep %s\n' "$S1" "$S1" | web_file
  supervise
  [ "$SUP_STATUS" -eq 127 ]
  run cat "$W/err"
  # The shell's own error names the member ($0 is its name).
  assert_output --partial "ends  | ends: line 1: no-such-command-$S1: command not found"
  assert_output --partial "ends exited with status 127"
  run alive "sleep $S1"
  assert_failure
}

@test "run: a member killed by a signal gives 128+N" {
  printf 'ends: sleep 0.1; kill -SEGV $$\nwaits: sleep %s\n' "$S1" | web_file
  supervise
  [ "$SUP_STATUS" -eq 139 ]
  run cat "$W/err"
  assert_output --partial "ends was killed by SIGSEGV"
  printf 'ends: sleep 0.1; kill -KILL $$\nwaits: sleep %s\n' "$S1" | web_file
  supervise
  [ "$SUP_STATUS" -eq 137 ]
  run cat "$W/err"
  assert_output --partial "ends was killed by SIGKILL"
}

# ---- 2. SIGTERM to the supervisor ------------------------------------------------

@test "run: SIGTERM is passed on once to every member's group; exit 143 after all are gone" {
  { waiter a 'sleep 0.5; echo done >>'"$W"'/a.terms'
    waiter b 'sleep 0.5; echo done >>'"$W"'/b.terms'
    # A grandchild in b's group: it must get the signal too.
    echo "c: sleep $S2 & echo \$! >$W/c.grandchild; sleep $S3"
  } | web_file
  start_supervisor
  wait_until 10 test -s "$W/a.pid" -a -s "$W/b.pid" -a -s "$W/c.grandchild"
  kill -TERM "$SUP"
  sleep 0.1
  kill -TERM "$SUP" # a second one must not be passed on again
  wait_exit
  [ "$SUP_STATUS" -eq 143 ]
  # Each member got exactly one SIGTERM, and had finished its handler (which
  # takes 0.5 s) before the supervisor exited.
  run cat "$W/a.terms"
  assert_output $'TERM\ndone'
  run cat "$W/b.terms"
  assert_output $'TERM\ndone'
  run cat "$W/err"
  assert_output --partial "SIGTERM received: stopping (SIGTERM to every member, SIGKILL after 28 s)"
  assert_output --partial "SIGTERM again: already stopping"
  refute_output --partial "SIGKILL to"
  run alive "sleep ($S1|$S2|$S3)"
  assert_failure
}

@test "run: SIGINT and SIGHUP stop too, with 128+N" {
  local sig code
  for sig in INT HUP; do
    { waiter a; waiter b; } | web_file
    rm -f "$W"/*.pid "$W"/*.terms
    start_supervisor
    wait_until 10 test -s "$W/a.pid" -a -s "$W/b.pid"
    kill -s "$sig" "$SUP"
    wait_exit
    code=$((128 + $(kill -l "$sig")))
    [ "$SUP_STATUS" -eq "$code" ]
    run cat "$W/err"
    assert_output --partial "SIG$sig received"
  done
}

# ---- 3. Heroku's way ---------------------------------------------------------------

@test "run: SIGTERM to every process at once, twice (as Heroku does) is a clean shutdown" {
  { waiter a 'sleep 1; echo clean >>'"$W"'/a.terms'
    waiter b 'sleep 1; echo clean >>'"$W"'/b.terms'
  } | web_file
  start_supervisor SOLODYNO_GRACE=20
  wait_until 10 test -s "$W/a.pid" -a -s "$W/b.pid"
  local everyone
  everyone="$SUP $(pgrep -g "$(cat "$W/a.pid")") $(pgrep -g "$(cat "$W/b.pid")")"
  # shellcheck disable=SC2086 # a list of pids
  kill -TERM $everyone
  sleep 0.2
  # shellcheck disable=SC2086
  kill -TERM $everyone 2>/dev/null || true
  wait_exit
  [ "$SUP_STATUS" -eq 143 ]
  run cat "$W/a.terms"
  assert_line clean
  run cat "$W/b.terms"
  assert_line clean
  run cat "$W/err"
  refute_output --partial "SIGKILL to"
}

# ---- 4. SIGKILL after the grace ----------------------------------------------------

@test "run: a member that ignores SIGTERM, and its grandchild, get SIGKILL after SOLODYNO_GRACE" {
  { echo "stubborn: trap '' TERM; sleep $S2 & echo ready >$W/ready; sleep $S1"
    echo "polite: sleep $S3"
  } | web_file
  start_supervisor SOLODYNO_GRACE=0.5
  wait_until 10 test -s "$W/ready"
  wait_until 10 alive "sleep $S1"
  kill -TERM "$SUP"
  wait_exit
  [ "$SUP_STATUS" -eq 143 ]
  run cat "$W/err"
  assert_output --partial "grace period over (0.5 s): SIGKILL to what is left of stubborn"
  assert_output --partial "polite was killed by SIGTERM"
  refute_output --partial "polite was killed by SIGKILL"
  run alive "sleep ($S1|$S2|$S3)"
  assert_failure
}

# ---- 5. a member crashes -----------------------------------------------------------

@test "run: a member crashes: the others get SIGTERM, exit with its status, the log says which and how" {
  { echo "crasher: while [ ! -s $W/calm.pid ]; do sleep 0.05; done; kill -ABRT \$\$"
    waiter calm
  } | web_file
  supervise
  [ "$SUP_STATUS" -eq 134 ]
  run cat "$W/calm.terms"
  assert_output TERM
  run cat "$W/err"
  assert_output --regexp "solodyno: crasher was killed by SIGABRT( \(core dumped\))?; stopping the others \(SIGTERM to every member, SIGKILL after 28 s\)"
  assert_output --partial "solodyno: calm exited with status 0"
}

# ---- 6. signals during start-up -------------------------------------------------------

@test "run: a SIGTERM already pending when the supervisor starts is not lost" {
  { waiter a; waiter b; } | web_file
  # Python blocks SIGTERM, sends it to itself, then becomes the supervisor: the
  # signal is pending from the very start, before any member exists.
  start_via_python <<'PY'
import os, signal, sys
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
os.kill(os.getpid(), signal.SIGTERM)
os.execv(sys.argv[1], [sys.argv[1], "run", sys.argv[2]])
PY
  wait_exit
  [ "$SUP_STATUS" -eq 143 ]
  run cat "$W/err"
  assert_output --partial "SIGTERM received"
  run alive "sleep $S1"
  assert_failure
}

@test "run: a SIGTERM sent while members are still being started is not lost" {
  { echo "first: kill -TERM \$PPID; sleep $S1"
    for i in $(seq 1 20); do echo "m$i: sleep $S2"; done
  } | web_file
  supervise SOLODYNO_GRACE=30
  [ "$SUP_STATUS" -eq 143 ]
  run cat "$W/err"
  assert_output --partial "SIGTERM received"
  run alive "sleep ($S1|$S2)"
  assert_failure
}

# ---- 7. what members inherit ---------------------------------------------------------

@test "run: members get default dispositions, an empty mask and /dev/null as stdin, whatever the parent ignored or blocked" {
  { echo "probe: echo \$\$ >$W/probe.pid; exec sleep $S1"
    echo "other: sleep $S2"
  } | web_file
  # Started from a parent that ignores SIGTERM, SIGINT, SIGHUP and SIGCHLD and
  # blocks SIGUSR1 and SIGTERM (both survive exec, as with `trap '' TERM`).
  start_via_python <<'PY'
import os, signal, sys
for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGCHLD, signal.SIGPIPE):
    signal.signal(s, signal.SIG_IGN)
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1, signal.SIGTERM})
os.execv(sys.argv[1], [sys.argv[1], "run", sys.argv[2]])
PY
  wait_until 10 test -s "$W/probe.pid"
  local probe
  probe=$(cat "$W/probe.pid")
  wait_until 10 grep -q "^Name:.*sleep" "/proc/$probe/status"
  # The supervisor's parent's settings really were as described...
  [ "$(proc_status "$SUP" SigIgn)" != 0000000000000000 ]
  # ...and the member has none of them.
  run proc_status "$probe" SigIgn
  assert_output 0000000000000000
  run proc_status "$probe" SigBlk
  assert_output 0000000000000000
  run readlink "/proc/$probe/fd/0"
  assert_output /dev/null
  # Its own process group, in the app directory.
  [ "$(ps -o pgid= -p "$probe" | tr -d ' ')" = "$probe" ]
  [ "$(readlink "/proc/$probe/cwd")" = "$W" ]
  # The ignored SIGTERM does not keep the supervisor from stopping.
  kill -TERM "$SUP"
  wait_exit
  [ "$SUP_STATUS" -eq 143 ]
}

@test "run: SIGUSR1 and SIGUSR2 sent to the supervisor reach every member" {
  local m
  for m in a b; do
    printf "%s: trap 'echo USR1 >>%s/%s.usr' USR1; trap 'echo USR2 >>%s/%s.usr' USR2; echo \$\$ >%s/%s.pid; while :; do sleep %s & wait \$!; done\n" \
      "$m" "$W" "$m" "$W" "$m" "$W" "$m" "$S1"
  done | web_file
  start_supervisor
  wait_until 10 test -s "$W/a.pid" -a -s "$W/b.pid"
  kill -USR1 "$SUP"
  wait_until 10 grep -q USR1 "$W/a.usr"
  wait_until 10 grep -q USR1 "$W/b.usr"
  kill -USR2 "$SUP"
  wait_until 10 grep -q USR2 "$W/a.usr"
  wait_until 10 grep -q USR2 "$W/b.usr"
  run cat "$W/a.usr" "$W/b.usr"
  assert_output $'USR1\nUSR2\nUSR1\nUSR2'
  # Passing them on stopped nothing.
  run ended "$SUP"
  assert_failure
  kill -TERM "$SUP"
  wait_exit
  [ "$SUP_STATUS" -eq 143 ]
}

# ---- 8. orphans --------------------------------------------------------------------

@test "run: orphans of a member are re-parented to the supervisor and reaped: no zombies" {
  { # 100 short sleeps whose parent (a subshell) exits at once: orphans.
    echo "parent: ( for i in \$(seq 100); do sleep 0.$S1 & done ); echo spawned >$W/spawned; sleep $S2"
    echo "other: sleep $S3"
  } | web_file
  start_supervisor
  wait_until 10 test -s "$W/spawned"
  # While they run, their parent is the supervisor (a child subreaper).
  local p ppids
  ppids=$(for p in $(pgrep -f "sleep 0.$S1"); do ps -o ppid= -p "$p"; done | sort -u | tr -d ' ')
  [ -z "$ppids" ] || [ "$ppids" = "$SUP" ]
  # Once they end, none is left behind, not even as a zombie.
  wait_until 20 none_alive "sleep 0.$S1"
  wait_until 10 test -z "$(zombies_of "$SUP")"
  kill -TERM "$SUP"
  wait_exit
  [ "$SUP_STATUS" -eq 143 ]
}

@test "run: a member that starts 100 background sleeps and exits: every process of the dyno is gone when the supervisor exits" {
  { echo "leaver: for i in \$(seq 100); do sleep $S1 & done; setsid sleep $S4 & exit 0"
    echo "other: sleep $S2 & sleep $S3"
  } | web_file
  supervise SOLODYNO_GRACE=5
  [ "$SUP_STATUS" -eq 0 ]
  run cat "$W/err"
  assert_output --partial "leaver exited with status 0; stopping the others"
  # The background sleeps (in leaver's group), the one that left with setsid,
  # and other's: all gone.
  run alive "sleep ($S1|$S2|$S3|$S4)"
  assert_failure
}

# ---- 9. output ---------------------------------------------------------------------

@test "run: output lines are prefixed with padded names; blank lines kept; a last line without newline flushed" {
  { printf '%s\n' "a: printf 'one\\n\\nthree\\nno newline at the end'; while [ ! -e $W/l.done ]; do sleep 0.05; done"
    echo "longname: echo to stdout; echo to stderr >&2; touch $W/l.done; sleep $S1"
  } | web_file
  supervise
  run grep '^a ' "$W/out"
  assert_line --index 0 "a        | one"
  assert_line --index 1 "a        | "
  assert_line --index 2 "a        | three"
  assert_line --index 3 "a        | no newline at the end"
  run cat "$W/out"
  assert_line "longname | to stdout"
  run cat "$W/err"
  assert_line "longname | to stderr"
}

@test "run: two members writing 10,000 lines each as fast as they can: every line intact and prefixed once" {
  # awk writes in 4 KiB blocks to a pipe: lines arrive cut in two.
  local m
  for m in one two; do
    local other=two
    [ "$m" = two ] && other=one
    printf '%s\n' "$m: awk 'BEGIN { x = sprintf(\"%080d\", 0); for (i = 0; i < 10000; i++) { printf \"$m %05d %s\\n\", i, x; printf \"$m-err %05d\\n\", i > \"/dev/stderr\" } }'; touch $W/$m.done; while [ ! -e $W/$other.done ]; do sleep 0.05; done"
  done | web_file
  supervise
  [ "$SUP_STATUS" -eq 0 ]
  python3 - "$W/out" "$W/err" <<'PY'
import re, sys
out = open(sys.argv[1], "rb").read().split(b"\n")
assert out[-1] == b"", "output ends with a newline"
seen = {b"one": 0, b"two": 0}
for line in out[:-1]:
    m = re.fullmatch(rb"(one|two) \| (one|two) (\d{5}) 0{80}", line)
    assert m, line[:200]
    assert m.group(1) == m.group(2), line
    assert int(m.group(3)) == seen[m.group(1)], (line, seen)
    seen[m.group(1)] += 1
assert seen == {b"one": 10000, b"two": 10000}, seen
err = [l for l in open(sys.argv[2], "rb").read().split(b"\n") if l and not l.startswith(b"solodyno:")]
seen = {b"one": 0, b"two": 0}
for line in err:
    m = re.fullmatch(rb"(one|two) \| (one|two)-err (\d{5})", line)
    assert m and m.group(1) == m.group(2) and int(m.group(3)) == seen[m.group(1)], line[:200]
    seen[m.group(1)] += 1
assert seen == {b"one": 10000, b"two": 10000}, seen
PY
}

@test "run: a 1 MiB line is split into prefixed lines, not dropped, nor cut inside a UTF-8 character; invalid UTF-8 passes through" {
  cat >"$W/Procfile.web" <<EOF
big: head -c 1048576 /dev/zero | tr '\\0' y; echo; printf 'bad \\377\\376 bytes\\n'; touch $W/big.done; sleep $S1
euro: python3 -c 'print("€" * 20000)'; touch $W/euro.done; sleep $S2
EOF
  start_supervisor
  wait_until 30 test -e "$W/big.done" -a -e "$W/euro.done"
  kill -TERM "$SUP"
  wait_exit
  python3 - "$W/out" <<'PY'
import sys
lines = open(sys.argv[1], "rb").read().split(b"\n")
assert lines[-1] == b""
lines = lines[:-1]
def of(prefix):
    return [l[len(prefix):] for l in lines if l.startswith(prefix)]
big, euro = of(b"big  | "), of(b"euro | ")
assert len(big) + len(euro) == len(lines)
assert big[-1] == b"bad \xff\xfe bytes", big[-1][-100:]
assert b"".join(big[:-1]) == b"y" * 1048576
# Heroku splits log lines longer than 10,000 bytes; ours never are.
assert max(len(l) for l in lines) == 10000, max(len(l) for l in lines)
assert len(big) - 1 == -(-1048576 // (10000 - 7))
assert len(euro) > 1
for piece in euro:
    piece.decode("utf-8")  # each piece is whole characters
assert b"".join(euro).decode() == "€" * 20000
PY
}

@test "run: with one member, or SOLODYNO_PREFIX=0, members write straight to the supervisor's stdout and stderr" {
  echo "only: readlink /proc/\$\$/fd/1 >$W/only.fd1; readlink /proc/\$\$/fd/2 >$W/only.fd2; echo plain" | web_file
  supervise
  run cat "$W/only.fd1" "$W/only.fd2"
  assert_output "$W/out"$'\n'"$W/err"
  run cat "$W/out"
  assert_output plain
  # SOLODYNO_PREFIX=1 prefixes even a single member.
  supervise SOLODYNO_PREFIX=1
  run cat "$W/out"
  assert_output "only | plain"
  { echo "a: readlink /proc/\$\$/fd/1 >$W/a.fd1; echo plain; sleep 0.3"
    echo "b: sleep $S1"
  } | web_file
  supervise SOLODYNO_PREFIX=0
  run cat "$W/a.fd1"
  assert_output "$W/out"
  run cat "$W/out"
  assert_output plain
  # And with the prefixes, through a pipe.
  supervise
  run cat "$W/a.fd1"
  assert_output --regexp '^pipe:'
  run cat "$W/out"
  assert_output "a | plain"
}

@test "run: the dyno's stdout closing (EPIPE) neither hangs nor kills the supervisor" {
  { echo "talker: for i in \$(seq 20000); do echo line \$i; done; echo finished >&2; sleep 0.2; exit 3"
    echo "other: sleep $S1"
  } | web_file
  # stdout is a pipe nobody reads any more; SIGPIPE at its default, so a write
  # without care would kill the supervisor.
  start_via_python <<'PY'
import os, signal, sys
signal.signal(signal.SIGPIPE, signal.SIG_DFL)
r, w = os.pipe()
os.close(r)
os.dup2(w, 1)
os.execv(sys.argv[1], [sys.argv[1], "run", sys.argv[2]])
PY
  wait_exit
  [ "$SUP_STATUS" -eq 3 ]
  run cat "$W/err"
  assert_output --partial "writing to stdout failed (Broken pipe)"
  assert_output --partial "talker | finished"
  run alive "sleep $S1"
  assert_failure
}

@test "run: a member that cannot be started stops those that did; exit 1" {
  { for m in a b c d; do echo "$m: sleep $S1"; done; } | web_file
  # Few file descriptors (and none inherited): the second member's pipes
  # cannot be made.
  run python3 -c 'import os, resource, sys
os.closerange(3, 65536)
resource.setrlimit(resource.RLIMIT_NOFILE, (10, 10))
os.execv(sys.argv[1], [sys.argv[1], "run", sys.argv[2]])' "$SOLODYNO" "$W/Procfile.web"
  [ "$status" -eq 1 ]
  assert_output --partial "solodyno: error: cannot start b: pipe: Too many open files"
  assert_output --partial "solodyno: a was killed by SIGTERM"
  run alive "sleep $S1"
  assert_failure
}

# ---- 10. errors --------------------------------------------------------------------

@test "run: no member enabled: a clear error naming the variables, exit 1" {
  printf '# nothing runs\nsidekiq@RUN_WORKER: sidekiq\nstreaming@!RUN_STREAMING: node\n' | web_file
  supervise RUN_STREAMING=true
  [ "$SUP_STATUS" -eq 1 ]
  run cat "$W/err"
  assert_output --partial "no process of $W/Procfile.web is enabled on this dyno"
  assert_output --partial 'sidekiq runs when RUN_WORKER is "true" (it is unset)'
  assert_output --partial 'streaming runs when RUN_STREAMING is not "true" (it is "true")'
}

@test "run: a missing file, a file without processes, a bad line: errors naming file and line" {
  run "$SOLODYNO" run "$W/nope.web"
  [ "$status" -eq 1 ]
  assert_output --partial "$W/nope.web: no such file"
  printf '# only a comment\n\n' | web_file
  run "$SOLODYNO" run "$W/Procfile.web"
  [ "$status" -eq 1 ]
  assert_output --partial "$W/Procfile.web lists no processes"
  printf 'good: sleep 1\nthis line is not a member\n' | web_file
  run "$SOLODYNO" run "$W/Procfile.web"
  [ "$status" -eq 1 ]
  assert_output --partial "$W/Procfile.web, line 2"
  run "$SOLODYNO" run
  [ "$status" -eq 2 ]
  assert_output --partial "usage: solodyno run FILE"
}

@test "run: bad SOLODYNO_GRACE or SOLODYNO_PREFIX values are refused with a clear message" {
  echo "a: sleep 1" | web_file
  local bad
  for bad in abc -1 1e3 5s 3601 0.0001 ' 5'; do
    SOLODYNO_GRACE=$bad run "$SOLODYNO" run "$W/Procfile.web"
    [ "$status" -eq 1 ]
    assert_output "solodyno: error: SOLODYNO_GRACE must be a number of seconds from 0 to 3600, like 28 or 2.5; it is '$bad'"
  done
  SOLODYNO_PREFIX=maybe run "$SOLODYNO" run "$W/Procfile.web"
  [ "$status" -eq 1 ]
  assert_output --partial "SOLODYNO_PREFIX must be 0 or 1"
}

# ---- the real path: bin/compile, then the dyno helper --------------------------------

@test "run: a web dyno built by bin/compile runs Procfile.web's members and stops cleanly, Heroku-style" {
  use_fixture rails-generic
  printf 'web: solodyno run Procfile.web\n' >"$APP/Procfile"
  printf 'app: puma -C config/puma.rb\nworker@RUN_WORKER: sidekiq\nnever@NEVER_SET: sleep %s\n' "$S1" >"$APP/Procfile.web"
  compile_app
  assert_success
  config_var RUN_WORKER true
  start_dyno web
  wait_until 20 stub_started puma
  wait_until 20 stub_started sidekiq
  wait_until 20 http_get "$DYNO_PORT"
  stop_dyno
  [ "$DYNO_STATUS" -eq 143 ]
  run cat "$DYNO_OUT"
  assert_output --partial "solodyno: SIGTERM received"
  assert_output --regexp "app +\| "
  refute_output --partial "SIGKILL to"
  run cat "$(compgen -G "$STUB_LOG/puma.*.events")" "$(compgen -G "$STUB_LOG/sidekiq.*.events")"
  assert_line SIGTERM
  assert_line "exit 0"
  run alive "sleep $S1"
  assert_failure
}

# ---- valgrind ----------------------------------------------------------------------

@test "run: valgrind finds no leak or memory error in a supervisor session" {
  command -v valgrind >/dev/null || skip "valgrind is not installed"
  [[ "$SOLODYNO_EXTRA_CFLAGS" != *sanitize* ]] || skip "ASan and valgrind do not mix"
  { echo "talker: for i in \$(seq 1000); do echo line \$i; echo err \$i >&2; done; printf 'partial'; sleep 0.5; exit 7"
    echo "other: sleep $S1"
  } | web_file
  run --separate-stderr valgrind --leak-check=full --show-leak-kinds=definite,indirect,possible \
    --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99 \
    "$SOLODYNO" run "$W/Procfile.web"
  echo "$stderr" | tail -n 20
  [ "$status" -eq 7 ]
  [[ "$stderr" == *"ERROR SUMMARY: 0 errors"* ]]
  [ "$(grep -c '^talker | line' <<<"$output")" -eq 1000 ]
}

# ---- 11. end to end with the real programs --------------------------------------------

# A Redis of our own on a free port, stopped in teardown.
start_redis() {
  REDIS_PORT=$(free_port)
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
    --dir "$BATS_TEST_TMPDIR" >"$BATS_TEST_TMPDIR/redis.log" 2>&1 3>&- &
  REDIS_PID=$!
  wait_until 10 redis_ping
}

redis_ping() {
  [[ "$(redis-cli -p "$REDIS_PORT" ping 2>/dev/null)" == PONG ]]
}

rcli() {
  redis-cli -p "$REDIS_PORT" "$@"
}

# Builds the fixture with bin/compile and starts its web dyno: Puma and Sidekiq
# under solodyno run, with Redis at $REDIS_PORT.
start_real_web_dyno() {
  local program
  for program in puma sidekiq redis-server redis-cli ruby; do
    command -v "$program" >/dev/null || fail "$program is needed (see test/packages.txt)"
  done
  use_fixture real-puma-sidekiq
  compile_app
  assert_success
  start_redis
  config_var REDIS_URL "redis://127.0.0.1:$REDIS_PORT/0"
  config_var RUN_WORKER true
  # The real Debian programs, not the stubs (.profile adds .solodyno/bin).
  start_dyno web -e "PATH=/usr/local/bin:/usr/bin:/bin" "$@"
  wait_until 60 http_get "$DYNO_PORT"
  wait_until 60 grep -q "sidekiq | .*Booting Sidekiq" "$DYNO_OUT"
}

# enqueue MARKER SECONDS: a SleepJob through Sidekiq::Client; prints its jid.
enqueue() {
  (cd "$APP" && REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0" ruby enqueue.rb "$1" "$2" 2>/dev/null)
}

job_started() {
  [[ -n "$(rcli lrange "$1:started" 0 -1)" ]]
}

@test "run, real programs: Puma answers, and a Heroku-style stop during a Sidekiq job loses no job" {
  start_real_web_dyno
  run http_get "$DYNO_PORT"
  assert_output --partial "hello from puma"
  local jid
  jid=$(enqueue job1 2)
  [ -n "$jid" ]
  wait_until 30 job_started job1
  stop_dyno
  [ "$DYNO_STATUS" -eq 143 ]
  # No job lost: done, or handed back to the queue by Sidekiq's shutdown.
  if [[ -z "$(rcli get job1:done)" ]]; then
    run rcli lrange queue:default 0 -1
    assert_output --partial "\"jid\":\"$jid\""
  fi
  run cat "$DYNO_OUT"
  assert_output --partial "solodyno: SIGTERM received"
  assert_output --partial "puma    | - Gracefully stopping, waiting for requests to finish"
  assert_output --regexp "sidekiq \| .*INFO: Bye!"
  assert_output --partial "solodyno: sidekiq exited with status 0"
  # Within the grace: neither our SIGKILL nor bin/local's (Heroku's) was needed.
  refute_output --partial "SIGKILL to"
  refute_output --partial "processes left after"
}

@test "run, real programs: a job longer than Sidekiq's shutdown timeout is pushed back to Redis" {
  start_real_web_dyno -e SIDEKIQ_TIMEOUT=1
  local jid
  jid=$(enqueue job2 30)
  wait_until 30 job_started job2
  stop_dyno
  [ "$DYNO_STATUS" -eq 143 ]
  run rcli get job2:done
  assert_output ""
  run rcli lrange queue:default 0 -1
  assert_output --partial "\"jid\":\"$jid\""
  run cat "$DYNO_OUT"
  assert_output --regexp "sidekiq \| .*Pushed 1 jobs back to Redis"
  refute_output --partial "SIGKILL to"
  refute_output --partial "processes left after"
}
