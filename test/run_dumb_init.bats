#!/usr/bin/env bats
# The scenarios of dumb-init's own test suite (Yelp/dumb-init, tests/ and
# testing/ at commit 5ccca9c), ported to `solodyno run` with Procfile.web
# members, written anew. dumb-init's "setsid mode" is what we always do (each
# member leads its own process group and signals go to the group), so its
# non-setsid variants are not ported. Where our contract deliberately differs
# (we do not proxy every signal, and we never suspend), the test shows ours.
#
# Not ported: --rewrite (signal rewriting), --help/--version and -v output,
# and the first SIGHUP/SIGCONT after TIOCNOTTY (dumb-init detaches from the
# terminal; we do not, we hand its foreground to the one member instead).

load run_helper

setup() {
  run_setup
}

teardown() {
  run_teardown
}

# child_processes_test.py, test_setsid_signals_entire_group: SIGTERM reaches
# every process of a pipeline the member's shell started in the background.
@test "dumb-init: SIGTERM reaches every process of the member's group (two background pipelines)" {
  echo "pipes: yes 'oh, hi $S1' | tail & yes error-$S1 | tail >&2; wait" | web_file
  echo "other: sleep $S2" >>"$W/Procfile.web"
  start_supervisor
  wait_until 10 alive "yes oh, hi $S1"
  wait_until 10 alive "yes error-$S1"
  kill -TERM "$SUP"
  wait_exit
  [ "$SUP_STATUS" -eq 143 ]
  run alive "yes (oh, hi |error-)$S1"
  assert_failure
}

# child_processes_test.py, test_all_processes_receive_term_on_exit_if_setsid:
# the member's shell exits after a second, leaving a child that catches
# signals: that child gets SIGTERM.
@test "dumb-init: when the member's shell exits, what it left in its group gets SIGTERM" {
  echo "leaver: python3 $BP_DIR/test/stubs/signal_recorder.py $W/left & sleep 1" | web_file
  supervise
  [ "$SUP_STATUS" -eq 0 ]
  run cat "$W/left.sigs"
  assert_line --index 0 SIGTERM
  run cat "$W/err"
  assert_output --partial "leaver exited with status 0, which ends the dyno"
}

# child_processes_test.py, test_fails_nonzero_with_bad_exec.
@test "dumb-init: a program that cannot be run fails the dyno, nonzero, with the shell's message" {
  echo "bad: /doesnotexist-$S1" | web_file
  supervise
  [ "$SUP_STATUS" -eq 127 ]
  run cat "$W/err"
  assert_output --partial "bad: line 1: /doesnotexist-$S1: No such file or directory"
}

# cli_test.py: no arguments, or an unknown option, is a usage error.
@test "dumb-init: no arguments or an unknown option: usage, nonzero" {
  run "$SOLODYNO" run
  [ "$status" -eq 2 ]
  assert_output --partial "usage: solodyno run FILE"
  run "$SOLODYNO" run --yolo "$W/Procfile.web"
  [ "$status" -eq 2 ]
  assert_output --partial "usage: solodyno run FILE"
}

# cwd_test.py: the child starts where dumb-init was started. Our contract
# differs: members start in the directory of FILE (the app), wherever
# solodyno run was started from.
@test "dumb-init: members start in the app directory (FILE's), wherever solodyno run is started" {
  echo "where: pwd >$W/where" | web_file
  (cd / && "$SOLODYNO" run "$W/Procfile.web" >/dev/null 2>&1)
  run cat "$W/where"
  assert_output "$W"
}

# exit_status_test.py, test_exit_status_regular_exit.
@test "dumb-init: the member's exit status (0 1 2 32 64 127 254 255) is the dyno's" {
  local code
  for code in 0 1 2 32 64 127 254 255; do
    echo "only: exit $code" | web_file
    status=0
    "$SOLODYNO" run "$W/Procfile.web" >/dev/null 2>&1 || status=$?
    [ "$status" -eq "$code" ]
  done
}

# exit_status_test.py, test_exit_status_terminated_by_signal: a member that
# kills itself with TERM, HUP, QUIT or KILL gives 128 + N.
@test "dumb-init: a member that kills itself with TERM, HUP, QUIT or KILL gives 128+N" {
  local sig
  for sig in 15 1 3 9; do
    echo "only: exec python3 -c 'import os; os.kill(os.getpid(), $sig)'" | web_file
    status=0
    "$SOLODYNO" run "$W/Procfile.web" >/dev/null 2>&1 || status=$?
    [ "$status" -eq $((128 + sig)) ] || fail "signal $sig gave $status"
  done
}

# proxies_signals_test.py, test_proxies_signals: dumb-init passes every
# ordinary signal (1-31 but KILL, STOP, CHLD and the job-control ones) on to
# its child. We run several programs, and most signals kill a program that
# does not expect them, so the contract differs: each is acted on by the
# supervisor (the table in run_signals.c), and none reaches a member or ends
# the dyno, but the four that mean "stop" (TERM, INT, HUP, QUIT).
@test "dumb-init: every ordinary signal but the four stop ones is kept from the members; none kills the supervisor" {
  { recorder a; recorder b; } | web_file
  start_supervisor
  wait_until 10 test -s "$W/a.pid" -a -s "$W/b.pid"
  local sig
  for sig in $(seq 1 31); do
    case $sig in 1 | 2 | 3 | 9 | 15 | 17 | 19 | 20 | 21 | 22) continue ;; esac
    kill -s "$sig" "$SUP"
  done
  wait_until 10 grep -q "SIGSYS received" "$W/err"
  run ended "$SUP"
  assert_failure
  [ ! -s "$W/a.sigs" ] && [ ! -s "$W/b.sigs" ]
  kill -TERM "$SUP"
  wait_exit
  [ "$SUP_STATUS" -eq 143 ]
}

# shell_background_test.py: dumb-init suspends itself (and its child) on
# TSTP, TTOU and TTIN, for a shell's job control. We never do: the members
# would run on unsupervised, or a web dyno would stop answering. So those
# signals leave the supervisor and the members running, and SIGCONT after them
# changes nothing.
@test "dumb-init: TSTP, TTOU and TTIN stop neither the supervisor nor a member; CONT after them is harmless" {
  { recorder a; recorder b; } | web_file
  start_supervisor
  wait_until 10 test -s "$W/a.pid" -a -s "$W/b.pid"
  local sig
  for sig in TSTP TTOU TTIN; do
    kill -s "$sig" "$SUP"
    wait_until 10 grep -q "SIG$sig received: solodyno run does not suspend" "$W/err"
    run proc_state "$SUP"
    refute_output T
    run proc_state "$(cat "$W/a.pid")"
    refute_output T
    kill -CONT "$SUP"
  done
  [ ! -s "$W/a.sigs" ] && [ ! -s "$W/b.sigs" ]
  kill -TERM "$SUP"
  wait_exit
  [ "$SUP_STATUS" -eq 143 ]
}

# tty_test.py, test_tty: a program under dumb-init reads and writes the
# terminal: tac, fed three lines and two EOFs, prints them backwards.
@test "dumb-init: at a terminal, the one member reads and writes it (tac)" {
  echo "tac: exec tac" | web_file
  run pty_drive 'sleep:0.5' 'send:1\n2\n3\n' 'send:\x04' 'sleep:0.2' 'send:\x04' -- "$SOLODYNO" run "$W/Procfile.web"
  [ "$status" -eq 0 ]
  assert_output --partial $'3\n2\n1\n'
}

# tty_test.py, test_child_gets_controlling_tty_if_we_had_one: `bash -m`
# under dumb-init has working job control ('m' in $-).
@test "dumb-init: at a terminal, bash -m as the one member has job control" {
  echo "shell: exec bash --norc -m -i" | web_file
  run pty_drive 'sleep:0.5' 'send:echo "flags are: [[$-]]"\n' 'expect:flags are: \[\[[a-zA-Z]+\]\]' \
    'send:exit 0\n' -- "$SOLODYNO" run "$W/Procfile.web"
  [ "$status" -eq 0 ]
  [[ "$output" =~ flags\ are:\ \[\[([a-zA-Z]+)\]\] ]]
  [[ "${BASH_REMATCH[1]}" == *m* ]]
}

# tests/test-zombies: `bash -c "bash -c 'echo i am a zombie' &" &` leaves no
# zombie behind.
@test "dumb-init: a grandchild that ends while its parent is gone leaves no zombie" {
  echo "z: bash -c \"bash -c 'echo i am a zombie' &\" & sleep $S1" | web_file
  echo "other: sleep $S2" >>"$W/Procfile.web"
  start_supervisor
  wait_until 10 grep -q "i am a zombie" "$W/out"
  wait_until 10 test -z "$(zombies_of "$SUP")"
  kill -TERM "$SUP"
  wait_exit
  [ "$SUP_STATUS" -eq 143 ]
}
