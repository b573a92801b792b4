#!/usr/bin/env bats
# solodyno run: the supervisor of a web dyno's processes, tested with real
# processes (bash snippets as members), then through the real path (bin/compile,
# then the dyno helper), then end to end with Puma, Sidekiq and Redis.

load run_helper

setup() {
  run_setup
}

teardown() {
  run_teardown
}

# ---- 1. exit status -----------------------------------------------------------

@test "run: the supervisor exits with the status of the member that ended (0, 1, 2, 127, 255)" {
  local code
  for code in 0 1 2 255; do
    printf 'ends: sleep 0.1; exit %s\nwaits: sleep %s\n' "$code" "$S1" | web_file
    supervise
    [ "$SUP_STATUS" -eq "$code" ]
    run cat "$W/err"
    assert_output --partial "ends exited with status $code, which ends the dyno"
    assert_output --partial "stopping the others (SIGTERM to every member, SIGKILL after 28 s)"
  done
  printf 'ends: no-such-command-%s\nwaits: sleep %s\n' "$S1" "$S1" | web_file
  supervise
  [ "$SUP_STATUS" -eq 127 ]
  # The shell's own error names the member ($0 is its name); a member's
  # stderr comes through the same pipe as its stdout.
  run cat "$W/out"
  assert_output --partial "ends  | ends: line 1: no-such-command-$S1: command not found"
  run cat "$W/err"
  assert_output --partial "ends exited with status 127, which ends the dyno"
  run alive "sleep $S1"
  assert_failure
}

@test "run: a member killed by a signal gives 128+N" {
  printf 'ends: sleep 0.1; kill -SEGV $$\nwaits: sleep %s\n' "$S1" | web_file
  supervise
  [ "$SUP_STATUS" -eq 139 ]
  run cat "$W/err"
  assert_output --partial "ends was killed by SIGSEGV, which ends the dyno"
  printf 'ends: sleep 0.1; kill -KILL $$\nwaits: sleep %s\n' "$S1" | web_file
  supervise
  [ "$SUP_STATUS" -eq 137 ]
  run cat "$W/err"
  assert_output --partial "ends was killed by SIGKILL, which ends the dyno"
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
  assert_output --partial "stubborn was killed by SIGKILL at the end of the grace period"
  # Stopped as asked: the log does not call that being killed.
  assert_output --partial "polite stopped (SIGTERM)"
  refute_output --partial "polite was killed"
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
  assert_output --regexp "solodyno: crasher was killed by SIGABRT( \(core dumped\))?, which ends the dyno; stopping the others \(SIGTERM to every member, SIGKILL after 28 s\)"
  assert_output --partial "solodyno: calm stopped (exit status 0)"
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

# ---- 8. control signals (item 2 of issue 13) ---------------------------------------

@test "run: SIGUSR1 and SIGUSR2 sent to the supervisor are not passed on: no member dies of them" {
  # b does what free Sidekiq 6 and Node do with USR2: nothing set up, so its
  # default action would end it.
  { recorder a
    echo "b: echo \$\$ >$W/b.pid; exec sleep $S1"
  } | web_file
  start_supervisor
  wait_until 10 test -s "$W/a.pid" -a -s "$W/b.pid"
  kill -USR1 "$SUP"
  kill -USR2 "$SUP"
  wait_until 10 grep -q "SIGUSR2 received" "$W/err"
  run cat "$W/err"
  assert_output --partial "SIGUSR1 received: not passed on, as a member that does not handle it would die; send it to one member with \`solodyno signal NAME SIG\`"
  # Nothing reached a, b is still there, and so is the supervisor.
  [ ! -s "$W/a.sigs" ]
  run ended "$(cat "$W/b.pid")"
  assert_failure
  run ended "$SUP"
  assert_failure
  kill -TERM "$SUP"
  wait_exit
  [ "$SUP_STATUS" -eq 143 ]
  run cat "$W/a.sigs"
  assert_line --index 0 SIGTERM
  refute_line SIGUSR1
  refute_line SIGUSR2
}

@test "run: solodyno signal NAME SIG reaches that member only, past a wrapping shell; --group reaches its group" {
  # a: bash keeps itself as a wrapper around python (a compound command), as
  # it does for `cd x && bundle exec puma; echo bye`.
  { echo "a: python3 $BP_DIR/test/stubs/signal_recorder.py $W/a; echo wrapper-done"
    recorder b
  } | web_file
  start_supervisor
  wait_until 10 test -s "$W/a.pid" -a -s "$W/b.pid"
  run "$SOLODYNO" signal a USR1
  assert_success
  assert_output --regexp "^solodyno: SIGUSR1 sent to a \(pid $(cat "$W/a.pid"): [^ ]*python3 [^ ]*signal_recorder.py"
  wait_until 10 grep -qx SIGUSR1 "$W/a.sigs"
  # The wrapper survived it (USR1 would have killed bash), and b got nothing.
  run alive "wrapper-done"
  assert_success
  [ ! -s "$W/b.sigs" ]
  # Names or numbers, with or without SIG.
  run "$SOLODYNO" signal b sigusr2
  assert_success
  run "$SOLODYNO" signal b 1
  assert_success
  wait_until 10 grep -qx SIGHUP "$W/b.sigs"
  run cat "$W/b.sigs"
  assert_output $'SIGUSR2\nSIGHUP'
  # --group: every process of the member's group, the wrapper too.
  run "$SOLODYNO" signal --group a WINCH
  assert_success
  assert_output --partial "SIGWINCH sent to a's process group"
  wait_until 10 grep -qx SIGWINCH "$W/a.sigs"
  run ended "$SUP"
  assert_failure
  kill -TERM "$SUP"
  wait_exit
  [ "$SUP_STATUS" -eq 143 ]
  # The state file is gone with the supervisor.
  run find "$SOLODYNO_RUN_DIR" -type f
  assert_output ""
  run "$SOLODYNO" signal a USR1
  assert_failure
  assert_output --partial "no \`solodyno run\` is running here"
}

@test "run: solodyno signal refuses an unknown member or signal, and without arguments lists the members" {
  { recorder a; recorder b; } | web_file
  start_supervisor
  wait_until 10 test -s "$W/a.pid" -a -s "$W/b.pid"
  run "$SOLODYNO" signal nosuch USR1
  [ "$status" -eq 1 ]
  assert_output --partial "no member 'nosuch' is running; the running members:"
  assert_output --regexp "solodyno run $W/Procfile.web \(pid $SUP\): a \(pid [0-9]+\) b \(pid [0-9]+\)"
  run "$SOLODYNO" signal a NOTASIG
  [ "$status" -eq 2 ]
  assert_output --partial "'NOTASIG' is not a signal"
  run "$SOLODYNO" signal
  [ "$status" -eq 2 ]
  assert_output --partial "usage: solodyno signal [--group] NAME SIG"
  assert_output --partial "a (pid"
  [ ! -s "$W/a.sigs" ] && [ ! -s "$W/b.sigs" ]
  # A state file left by a supervisor killed with SIGKILL is not believed.
  kill -KILL "$SUP"
  wait "$SUP" || true
  SUP=""
  run "$SOLODYNO" signal a USR1
  [ "$status" -eq 1 ]
  assert_output --partial "no \`solodyno run\` is running here"
}

@test "run: the state directory is used only if it is the user's own: a symlink is refused, the dyno runs on" {
  { recorder a; recorder b; } | web_file
  mkdir -p "$W/elsewhere"
  ln -s "$W/elsewhere" "$W/link"
  start_supervisor SOLODYNO_RUN_DIR="$W/link"
  wait_until 10 test -s "$W/a.pid" -a -s "$W/b.pid"
  run cat "$W/err"
  assert_output --partial "cannot use $W/link (not a private directory of this user): \`solodyno signal\` will not find this dyno's members"
  run ls -A "$W/elsewhere"
  assert_output ""
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
  assert_output --partial "leaver exited with status 0, which ends the dyno (a member is expected to run until the dyno stops); stopping the others"
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
  # A member's stderr comes through its one pipe, to our stdout, in order.
  run cat "$W/out"
  assert_line "longname | to stdout"
  assert_line "longname | to stderr"
  run grep -c "^longname" "$W/err"
  assert_output 0
}

@test "run: two members writing 10,000 lines each as fast as they can: every line intact and prefixed once" {
  # awk writes in 4 KiB blocks to a pipe: lines arrive cut in two.
  local m
  for m in one two; do
    local other=two
    [ "$m" = two ] && other=one
    printf '%s\n' "$m: awk 'BEGIN { x = sprintf(\"%080d\", 0); for (i = 0; i < 10000; i++) printf \"$m %05d %s\\n\", i, x }'; touch $W/$m.done; while [ ! -e $W/$other.done ]; do sleep 0.05; done"
  done | web_file
  supervise
  [ "$SUP_STATUS" -eq 0 ]
  python3 - "$W/out" <<'PY'
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
PY
}

@test "run: a member's stdout and stderr lines keep the order it wrote them in, under bursts (item 9)" {
  # Each member writes 3,000 pairs, one line to stdout then one to stderr,
  # each its own write(), as fast as it can; foreman and honcho keep that
  # order by reading one pipe per process, and so do we.
  cat >"$W/pairs.py" <<'PY'
import os, sys
who = sys.argv[1].encode()
for i in range(3000):
    os.write(1, b"%s out %05d\n" % (who, i))
    os.write(2, b"%s err %05d\n" % (who, i))
PY
  { echo "one: python3 $W/pairs.py one; touch $W/one.done; sleep $S1"
    echo "two: python3 $W/pairs.py two; touch $W/two.done; sleep $S2"
    echo "idle: while [ ! -e $W/one.done ] || [ ! -e $W/two.done ]; do sleep 0.05; done"
  } | web_file
  supervise
  [ "$SUP_STATUS" -eq 0 ]
  python3 - "$W/out" <<'PY'
import re, sys
lines = open(sys.argv[1], "rb").read().split(b"\n")[:-1]
expect = {b"one": [], b"two": []}
for i in range(3000):
    for who in expect:
        expect[who] += [b"%s out %05d" % (who, i), b"%s err %05d" % (who, i)]
got = {b"one": [], b"two": [], b"idle": []}
for line in lines:
    m = re.fullmatch(rb"(one|two|idle) *\| (.*)", line)
    assert m, line
    got[m.group(1)].append(m.group(2))
for who in expect:
    bad = [(i, a, b) for i, (a, b) in enumerate(zip(got[who], expect[who])) if a != b]
    assert not bad and len(got[who]) == 6000, (len(got[who]), bad[:3])
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
  assert_output --partial "writing to stdout failed (Broken pipe): members' output is dropped from now on"
  assert_output --partial "talker exited with status 3, which ends the dyno"
  run alive "sleep $S1"
  assert_failure
}

@test "run: a member that cannot be started stops those that did; exit 1" {
  { for m in a b c d; do echo "$m: sleep $S1"; done; } | web_file
  # Few file descriptors (and none inherited): a later member's pipe
  # cannot be made.
  run python3 -c 'import os, resource, sys
os.closerange(3, 65536)
resource.setrlimit(resource.RLIMIT_NOFILE, (10, 10))
os.execv(sys.argv[1], [sys.argv[1], "run", sys.argv[2]])' "$SOLODYNO" "$W/Procfile.web"
  [ "$status" -eq 1 ]
  # (Which member runs out depends on how many descriptors we hold.)
  assert_output --regexp "solodyno: error: cannot start [bcd]: pipe: Too many open files"
  assert_output --partial "solodyno: a stopped (SIGTERM)"
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

# ---- issue 13: the cases tini's and dumb-init's suites did not cover -------------------

@test "run: a long line, 253 short ones and another long line in one read come out whole (item 1: the iovec overflow)" {
  # One write() of all of it, so it arrives in one read: before the fix, the
  # split pieces overran the splitter's array of 513 iovecs.
  cat >"$W/burst.py" <<'PY'
import os
data = b"L" * 12000 + b"\n" + b"short\n" * 253 + b"M" * 12000 + b"\n"
os.write(1, data)
PY
  { echo "burst: python3 $W/burst.py; sleep $S1"
    echo "other: sleep $S2 & wait; "
  } | web_file
  start_supervisor
  wait_until 10 grep -q "^burst | M" "$W/out"
  kill -TERM "$SUP"
  wait_exit
  [ "$SUP_STATUS" -eq 143 ]
  python3 - "$W/out" <<'PY'
import sys
lines = [l for l in open(sys.argv[1], "rb").read().split(b"\n")[:-1]]
assert all(l.startswith(b"burst | ") for l in lines), lines[:3]
body = [l[len(b"burst | "):] for l in lines]
assert max(len(l) for l in lines) <= 10000
text = b"".join(body[:2]), body[2:255], b"".join(body[255:])
assert text[0] == b"L" * 12000 and text[2] == b"M" * 12000, [len(t) for t in text]
assert text[1] == [b"short"] * 253
PY
}

# A reader of our stdout that takes nothing until $W/go exists, then
# everything (into $W/received): Docker's blocking log mode, a paused pager.
stalled_reader_start() {
  cat >"$W/reader.py" <<'PY'
import os, sys, time
while not os.path.exists(sys.argv[1] + "/go"):
    time.sleep(0.05)
with open(sys.argv[1] + "/received", "wb") as out:
    while True:
        chunk = os.read(0, 65536)
        if not chunk:
            break
        out.write(chunk)
open(sys.argv[1] + "/received.done", "w").close()  # all of it is in the file
PY
  # stdout: a pipe to that reader; stderr: $W/err. The reader is not our
  # child (forked twice, its parent gone before we start), as the dyno's log
  # reader is not: a child we inherit is stopped with the dyno (item 8).
  start_via_python <<PY
import os, sys
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    if os.fork() == 0:
        os.dup2(r, 0)
        os.close(r)
        os.close(w)
        os.execv(sys.executable, [sys.executable, "$W/reader.py", "$W"])
    os._exit(0)
os.waitpid(pid, 0)
os.close(r)
os.dup2(w, 1)
os.close(w)
os.execv(sys.argv[1], [sys.argv[1], "run", sys.argv[2]])
PY
}

# The talker's count of lines written, once it stops changing for a second.
steady_count() {
  local a b
  a=$(cat "$W/count" 2>/dev/null || echo 0)
  sleep 1
  b=$(cat "$W/count" 2>/dev/null || echo 0)
  [[ "$a" == "$b" && "$b" != 0 ]]
}

count_above() {
  (($(cat "$W/count") > $1))
}

@test "run: a stalled reader of our stdout holds the members back (backpressure) but not signals; nothing is lost (item 3)" {
  cat >"$W/talker.py" <<'PY'
import os, sys
n = 0
while True:
    os.write(1, b"".join(b"line %08d %s\n" % (n + i, b"x" * 50) for i in range(64)))
    n += 64
    with open(sys.argv[1] + "/count.tmp", "w") as f:
        f.write(str(n))
    os.rename(sys.argv[1] + "/count.tmp", sys.argv[1] + "/count")
PY
  { echo "talker: exec python3 $W/talker.py $W"
    echo "other: sleep $S1"
  } | web_file
  stalled_reader_start
  wait_until 30 steady_count
  # Held back: a few hundred KiB (the pipes and our bounded queue), not the
  # gigabytes it would have written by now.
  [ "$(cat "$W/count")" -lt 40000 ]
  # The loop is alive: a signal is read and answered at once.
  kill -USR1 "$SUP"
  wait_until 10 grep -q "SIGUSR1 received" "$W/err"
  # The reader wakes up: output flows again.
  local before
  before=$(cat "$W/count")
  touch "$W/go"
  wait_until 30 count_above $((before + 100000))
  kill -TERM "$SUP"
  wait_exit
  [ "$SUP_STATUS" -eq 143 ]
  wait_until 10 test -e "$W/received.done"
  # Every line the talker wrote, in order, prefixed once.
  python3 - "$W/received" "$(cat "$W/count")" <<'PY'
import re, sys
lines = open(sys.argv[1], "rb").read().split(b"\n")[:-1]
n = 0
for line in lines:
    m = re.fullmatch(rb"talker \| line (\d{8}) x{50}", line)
    assert m, line[:100]
    assert int(m.group(1)) == n, (n, line[:40])
    n += 1
assert n >= int(sys.argv[2]), (n, sys.argv[2])
PY
}

@test "run: with our stdout and stderr stalled for good, SIGTERM still stops the dyno and SIGKILL comes on time (item 3)" {
  { echo "talker: yes talking-$S1"
    echo "stubborn: trap '' TERM; echo \$\$ >$W/stubborn.pid; while :; do sleep 0.1; done"
  } | web_file
  start_via_python <<PY
import os, subprocess, sys
os.environ["SOLODYNO_GRACE"] = "1"
r, w = os.pipe()
subprocess.Popen(["sleep", "$S4"], stdin=r)  # holds the pipe open, never reads
os.close(r)
os.dup2(w, 1)
os.dup2(w, 2)
os.execv(sys.argv[1], [sys.argv[1], "run", sys.argv[2]])
PY
  wait_until 10 test -s "$W/stubborn.pid"
  sleep 1 # the pipe fills
  kill -TERM "$SUP"
  wait_exit
  [ "$SUP_STATUS" -eq 143 ]
  run alive "yes talking-$S1"
  assert_failure
  run ended "$(cat "$W/stubborn.pid")"
  assert_success
}

@test "run: every catchable signal, real-time ones too, leaves the supervisor and its members running; then SIGTERM stops all (item 4)" {
  { recorder a; recorder b; } | web_file
  start_supervisor
  wait_until 10 test -s "$W/a.pid" -a -s "$W/b.pid"
  # All of 1 to 64 but KILL, STOP and the four that stop the dyno; 32 and 33
  # are the two glibc keeps for itself (another process can still send them).
  python3 - "$SUP" <<'PY'
import os, sys
for sig in range(1, 65):
    if sig not in (1, 2, 3, 9, 15, 19):
        os.kill(int(sys.argv[1]), sig)
PY
  wait_until 10 grep -q "signal 64 received\|SIGRTMAX received" "$W/err"
  run ended "$SUP"
  assert_failure
  run proc_state "$SUP"
  refute_output T
  [ ! -s "$W/a.sigs" ] && [ ! -s "$W/b.sigs" ]
  run cat "$W/err"
  assert_output --partial "SIGALRM received: ignored"
  assert_output --partial "SIGXCPU received: ignored"
  assert_output --partial "SIGSEGV received: ignored"
  refute_output --partial "SIGWINCH received"
  # And a storm of one signal is one note, not a flood.
  local i
  for i in $(seq 50); do kill -s ALRM "$SUP"; done
  sleep 0.5
  [ "$(grep -c 'SIGALRM received' "$W/err")" -eq 1 ]
  kill -TERM "$SUP"
  wait_exit
  [ "$SUP_STATUS" -eq 143 ]
  run cat "$W/a.sigs" "$W/b.sigs"
  assert_line SIGTERM
  run alive "signal_recorder.py $W"
  assert_failure
}

@test "run: SIGQUIT stops the dyno with 131, and the members get SIGTERM, their graceful stop" {
  { recorder a; recorder b; } | web_file
  start_supervisor
  wait_until 10 test -s "$W/a.pid" -a -s "$W/b.pid"
  kill -QUIT "$SUP"
  wait_exit
  [ "$SUP_STATUS" -eq 131 ]
  run cat "$W/err"
  assert_output --partial "SIGQUIT received: stopping (SIGTERM to every member, SIGKILL after 28 s)"
  run cat "$W/a.sigs"
  assert_line --index 0 SIGTERM
  refute_line SIGQUIT
}

@test "run: at a terminal, Ctrl-Z does not suspend the supervisor of several members; Ctrl-C then stops it (item 5)" {
  { waiter a; waiter b; } | web_file
  run pty_drive 'sleep:1' 'send:\x1a' 'expect:SIGTSTP received: solodyno run does not suspend' 'send:\x03' \
    -- "$SOLODYNO" run "$W/Procfile.web"
  [ "$status" -eq 130 ]
  # The terminal's SIGINT went to our process group only; we passed it on.
  assert_output --partial "SIGINT received: stopping (SIGINT to every member"
  assert_output --partial "a stopped (SIGINT)"
  assert_output --partial "b stopped (SIGINT)"
}

@test "run: at a terminal, Ctrl-Z on the one member in the foreground is undone: it runs on, Ctrl-C stops it (item 5)" {
  echo "only: echo \$\$ >$W/only.pid; exec sleep $S1" | web_file
  run pty_drive 'sleep:1' 'send:\x1a' 'expect:continuing it' 'sleep:0.5' 'send:\x03' \
    -- "$SOLODYNO" run "$W/Procfile.web"
  [ "$status" -eq 130 ]
  assert_output --partial "only was stopped by SIGTSTP (Ctrl-Z): continuing it, as solodyno run does not suspend; Ctrl-C stops it"
  assert_output --partial "only was killed by SIGINT, which ends the dyno"
}

@test "run: at a terminal, the one member may set terminal modes (not stopped by SIGTTOU) (item 5)" {
  echo "modes: stty -echo && stty echo && echo modes-set-ok" | web_file
  run pty_drive -- "$SOLODYNO" run "$W/Procfile.web"
  [ "$status" -eq 0 ]
  assert_output --partial "modes-set-ok"
  # Without a terminal's foreground to give (prefixed members), members keep
  # /dev/null as stdin and the supervisor keeps the terminal.
  { echo "a: readlink /proc/\$\$/fd/0 >$W/a.stdin"; echo "b: sleep 0.5"; } | web_file
  run pty_drive -- "$SOLODYNO" run "$W/Procfile.web"
  run cat "$W/a.stdin"
  assert_output /dev/null
}

@test "run: a stopped member gets SIGCONT after the stop signal, and acts on it instead of waiting out the grace (item 6)" {
  { waiter a 'echo done >>'"$W"'/a.terms'; waiter b; } | web_file
  start_supervisor SOLODYNO_GRACE=300
  wait_until 10 test -s "$W/a.pid" -a -s "$W/b.pid"
  kill -STOP "$(cat "$W/a.pid")"
  wait_until 10 grep -q "a was stopped by SIGSTOP; \`solodyno signal a CONT\` continues it" "$W/err"
  kill -TERM "$SUP"
  # Within wait_exit's minute, far under the 300 s grace.
  wait_exit
  [ "$SUP_STATUS" -eq 143 ]
  run cat "$W/a.terms"
  assert_output $'TERM\ndone'
  run cat "$W/err"
  refute_output --partial "grace period over"
}

@test "run: a setsid daemon three levels below a member gets SIGTERM, not only the SIGKILL at the end (item 7)" {
  echo "deep: bash -c 'bash -c \"setsid python3 $BP_DIR/test/stubs/signal_recorder.py $W/daemon & wait\" & wait' & wait" | web_file
  echo "other: sleep $S1" >>"$W/Procfile.web"
  start_supervisor SOLODYNO_GRACE=300
  wait_until 10 test -s "$W/daemon.pid"
  local daemon
  daemon=$(cat "$W/daemon.pid")
  # Really outside the member's group and session, and three levels down.
  [ "$(ps -o sid= -p "$daemon" | tr -d ' ')" = "$daemon" ]
  kill -TERM "$SUP"
  wait_exit
  [ "$SUP_STATUS" -eq 143 ]
  run cat "$W/daemon.sigs"
  assert_line --index 0 SIGTERM
  run cat "$W/err"
  refute_output --partial "grace period over"
}

@test "run: processes it inherits are stopped with the dyno; one that ignores SIGTERM is named while we wait, then killed (item 8)" {
  { echo "crash: sleep 1; exit 3"; waiter calm; } | web_file
  # The Python parent leaves two children behind, as a dyno's shell leaves
  # a .profile.d script's background jobs, then becomes the supervisor.
  start_via_python <<PY
import os, subprocess, sys
os.environ["SOLODYNO_GRACE"] = "2"
subprocess.Popen([sys.executable, "$BP_DIR/test/stubs/signal_recorder.py", "$W/polite"])
subprocess.Popen(["bash", "-c", "trap '' TERM; echo \$\$ >$W/deaf.pid; while :; do sleep 0.1; done"])
os.execv(sys.argv[1], [sys.argv[1], "run", sys.argv[2]])
PY
  wait_exit
  [ "$SUP_STATUS" -eq 3 ]
  run cat "$W/polite.sigs"
  assert_line --index 0 SIGTERM
  local deaf
  deaf=$(cat "$W/deaf.pid")
  run cat "$W/err"
  assert_output --regexp "[0-9]+ process(es)? already running under solodyno run"
  assert_output --regexp "every member has stopped; waiting for [0-9]+ process(es)? outside them, which got SIGTERM: (.*, )?$deaf \(bash -c trap '' TERM; echo"
  assert_output --regexp "grace period over \(2 s\): SIGKILL to what is left of processes outside the members: (.*, )?$deaf \(bash"
  run ended "$deaf"
  assert_success
}

@test "run: a .profile.d background loop on a dyno started by bin/local is stopped with the dyno when a member crashes (item 8)" {
  use_fixture rails-generic
  printf 'web: solodyno run Procfile.web\n' >"$APP/Procfile"
  printf 'app: puma -C config/puma.rb\ncrash: sleep 2; exit 4\n' >"$APP/Procfile.web"
  mkdir -p "$APP/.profile.d"
  # Like heroku/metrics' agent loop: `(while true; do agentmon ...; sleep 1; done) &`.
  cat >"$APP/.profile.d/zz-agent.sh" <<SH
(while true; do sleep $S3; done) &
echo \$! >"$W/agent.pid"
SH
  compile_app
  assert_success
  start_dyno web -e "SOLODYNO_RUN_DIR=$SOLODYNO_RUN_DIR"
  DYNO_STATUS=0
  wait "$DYNO_LAUNCHER" || DYNO_STATUS=$?
  [ "$DYNO_STATUS" -eq 4 ]
  run cat "$DYNO_OUT"
  assert_output --regexp "already running under solodyno run .*: (.*, )?$(cat "$W/agent.pid") \(bash"
  assert_output --partial "solodyno: crash exited with status 4, which ends the dyno; stopping the others"
  refute_output --partial "SIGKILL to"
  refute_output --partial "processes left after"
  run alive "sleep $S3"
  assert_failure
}

@test "run: one member that exits ends the dyno, and the log says so without 'the others' (item 10)" {
  echo "only: sleep 0.2; exit 3" | web_file
  supervise
  [ "$SUP_STATUS" -eq 3 ]
  run cat "$W/err"
  assert_output "solodyno: only exited with status 3, which ends the dyno"
  echo "only: true" | web_file
  supervise
  [ "$SUP_STATUS" -eq 0 ]
  run cat "$W/err"
  assert_output "solodyno: only exited with status 0, which ends the dyno (a member is expected to run until the dyno stops)"
  # A signal to the supervisor names the member, not "every member".
  echo "only: exec sleep $S1" | web_file
  start_supervisor
  wait_until 10 alive "sleep $S1"
  kill -TERM "$SUP"
  wait_exit
  run cat "$W/err"
  assert_output --partial "SIGTERM received: stopping (SIGTERM to only, SIGKILL after 28 s)"
  assert_output --partial "only stopped (SIGTERM)"
}

@test "run: a second SIGINT (Ctrl-C) kills what is left at once; a second SIGTERM does not (item 11)" {
  { echo "deaf: trap '' INT TERM; echo \$\$ >$W/deaf.pid; while :; do sleep 0.1; done"
    echo "other: trap '' INT TERM; while :; do sleep 0.1; done"
  } | web_file
  start_supervisor SOLODYNO_GRACE=300
  wait_until 10 test -s "$W/deaf.pid"
  kill -INT "$SUP"
  wait_until 10 grep -q "SIGINT received" "$W/err"
  kill -TERM "$SUP"
  wait_until 10 grep -q "SIGTERM again: already stopping" "$W/err"
  run ended "$SUP"
  assert_failure
  kill -INT "$SUP"
  wait_exit
  [ "$SUP_STATUS" -eq 130 ]
  run cat "$W/err"
  assert_output --partial "SIGINT again: SIGKILL to everything left now (a second Ctrl-C does not wait for the grace period)"
  assert_output --partial "deaf was killed by SIGKILL (the grace period was cut short)"
}

@test "run: at a terminal, Ctrl-C twice stops several members that ignore it at once (item 11)" {
  { echo "a: trap '' INT TERM; while :; do sleep 0.1; done"
    echo "b: trap '' INT TERM; while :; do sleep 0.1; done"
  } | web_file
  run env SOLODYNO_GRACE=300 python3 "$BP_DIR/test/stubs/pty_drive.py" 'sleep:1' 'send:\x03' 'expect:SIGINT received' \
    'send:\x03' -- "$SOLODYNO" run "$W/Procfile.web"
  [ "$status" -eq 130 ]
  assert_output --partial "SIGINT again: SIGKILL to everything left now"
}
