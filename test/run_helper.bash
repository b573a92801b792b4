#!/usr/bin/env bash
# Shared by the suites of solodyno run (run.bats, run_tini.bats,
# run_dumb_init.bats, run_real.bats): start the supervisor on a Procfile.web
# of bash snippets, watch its processes, stop it.

load test_helper

run_setup() {
  common_setup
  W="$BATS_TEST_TMPDIR/w"
  mkdir -p "$W"
  SOLODYNO="$SOLODYNO_BUILD_DIR/solodyno"
  # Each test has its own state directory, so `solodyno signal` never finds
  # another test's supervisor (several sessions run the suites at once).
  export SOLODYNO_RUN_DIR="$BATS_TEST_TMPDIR/run-state"
  # Unique sleep lengths: pgrep must never see another test run's processes.
  S1=$((200000 + RANDOM * 4))
  S2=$((S1 + 1))
  S3=$((S1 + 2))
  S4=$((S1 + 3))
  SUP=""
}

run_teardown() {
  if [[ -n "$SUP" ]]; then kill -KILL "$SUP" 2>/dev/null || true; fi
  # A dyno a failed test left running: bin/local stops it as Heroku does.
  if [[ -n "${DYNO_LAUNCHER:-}" ]] && kill -0 "$DYNO_LAUNCHER" 2>/dev/null; then
    kill -TERM "$DYNO_LAUNCHER" 2>/dev/null || true
    wait "$DYNO_LAUNCHER" 2>/dev/null || true
  fi
  # SIGKILL to the supervisor stops its members' shells (they get SIGTERM),
  # not what those started: the rest of this test's processes.
  pkill -KILL -f "signal_recorder.py $W/" 2>/dev/null || true
  pkill -KILL -f "$W/reader.py" 2>/dev/null || true # a stalled reader (run.bats), not our child
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

# The one-letter state of process $1 (R, S, T, Z...).
proc_state() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  echo "${stat%% *}"
}

# A member that waits, interruptibly, until a signal arrives: bash runs a trap
# only between commands, so the sleep runs in the background and `wait` is
# what gets interrupted. waiter NAME [ON_TERM]: writes its pid to $W/NAME.pid
# and appends TERM to $W/NAME.terms when it gets one.
waiter() {
  printf "%s: trap 'echo TERM >>%s/%s.terms; %s; exit 0' TERM; echo \$\$ >%s/%s.pid; while :; do sleep %s & wait \$!; done\n" \
    "$1" "$W" "$1" "${2:-:}" "$W" "$1" "$S1"
}

# A member that records every signal it gets, one name per line, in
# $W/NAME.sigs (a Python loop, like dumb-init's print_signals), and exits on
# SIGTERM. recorder NAME
recorder() {
  printf '%s: exec python3 %s/signal_recorder.py %s/%s\n' "$1" "$BP_DIR/test/stubs" "$W" "$1"
}

# pty_drive STEP... -- COMMAND: test/stubs/pty_drive.py runs COMMAND on a new terminal and plays the steps.
pty_drive() {
  python3 "$BP_DIR/test/stubs/pty_drive.py" "$@"
}
