#!/usr/bin/env bash
# solodyno run driven directly (no build), with bash and Python snippets as
# members: for the memory watch's and the boot order's own tests.

watch_setup() {
  W="$BATS_TEST_TMPDIR/w"
  mkdir -p "$W"
  SOLODYNO="$SOLODYNO_BUILD_DIR/solodyno"
  # Unique sleep lengths: pkill must never see another test run's processes.
  S1=$((300000 + RANDOM * 4))
  SUP=""
}

watch_teardown() {
  if [[ -n "$SUP" ]]; then kill -KILL "$SUP" 2>/dev/null || true; fi
  pkill -KILL -f "sleep $S1" 2>/dev/null || true
  pkill -KILL -f "solodyno-grow-$S1" 2>/dev/null || true
}

web_file() {
  cat >"$W/Procfile.web"
}

# start_supervisor [NAME=VALUE...]: in the background, in a clean environment
# (no cgroup of ours is read: the members' sum is the dyno's usage); stdout
# in $W/out, stderr in $W/err.
start_supervisor() {
  env -i PATH="$PATH" HOME="$W" SOLODYNO_CGROUP_ROOT=/nonexistent \
    ASAN_OPTIONS="$ASAN_OPTIONS" UBSAN_OPTIONS="$UBSAN_OPTIONS" "$@" \
    "$SOLODYNO" run "$W/Procfile.web" >"$W/out" 2>"$W/err" 3>&- &
  SUP=$!
}

sup_ended() {
  local stat
  stat=$(cat "/proc/$SUP/stat" 2>/dev/null) || return 0
  stat=${stat##*) }
  [[ "${stat%% *}" == Z ]]
}

wait_exit() {
  if ! wait_until "${1:-60}" sup_ended; then
    echo "the supervisor did not exit; its stderr:" >&2
    cat "$W/err" >&2
    return 1
  fi
  SUP_STATUS=0
  wait "$SUP" || SUP_STATUS=$?
  SUP=""
}

# A member that takes MB_PER_STEP more memory every SECONDS_PER_STEP, up to
# LIMIT MB, then holds it; it prints "up PID" when it starts and "bye" on
# SIGTERM ("ignore-term" as a fourth argument: it ignores SIGTERM). The
# marker in its command line lets teardown find it.
grow_command() {
  cat >"$W/grow.py" <<'PY'
import os, signal, sys, time
step, every, limit = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
if sys.argv[4] == "ignore-term":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
else:
    signal.signal(signal.SIGTERM, lambda *a: (print("bye", flush=True), sys.exit(0)))
print("up", os.getpid(), flush=True)
held = []
while True:
    if len(held) * step < limit:
        held.append(bytearray(step << 20))
    time.sleep(every)
PY
  printf 'exec python3 %s %s %s %s %s solodyno-grow-%s' "$W/grow.py" "$1" "$2" "$3" "${4:-handle-term}" "$S1"
}
