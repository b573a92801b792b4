#!/usr/bin/env bash
# Shared by every bats suite: build an app through the real bin/compile, start
# it as a dyno would, stop it as Heroku does, and read what the stubs saw.

bats_require_minimum_version 1.5.0
bats_load_library bats-support
bats_load_library bats-assert
bats_load_library bats-file

BP_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STUBS="$BP_DIR/test/stubs/bin"
FIXTURES="$BP_DIR/test/fixtures"
# The programs built by make (make test sets this; SANITIZE=1 points it at the
# sanitizer build). Falls back to the normal build for a bats run by hand.
SOLODYNO_BUILD_DIR=${SOLODYNO_BUILD_DIR:-$BP_DIR/build}
export SOLODYNO_EXTRA_CFLAGS=${SOLODYNO_EXTRA_CFLAGS:-}
# ASan/UBSan: fail loudly, and do not let an instrumented child's report go unseen.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

# Per-test directories: the app under build, its cache, its config vars, and
# where the stubs write what they saw.
common_setup() {
  APP="$BATS_TEST_TMPDIR/app"
  CACHE="$BATS_TEST_TMPDIR/cache"
  ENV_DIR="$BATS_TEST_TMPDIR/env"
  STUB_LOG="$BATS_TEST_TMPDIR/stub-log"
  DYNO_OUT="$BATS_TEST_TMPDIR/dyno.out"
  # One compile cache for the whole run: the cache is keyed by sources and
  # compiler, so sharing it is what Heroku does between builds of one app.
  SHARED_CACHE="$BATS_RUN_TMPDIR/shared-cache"
  mkdir -p "$ENV_DIR" "$STUB_LOG" "$SHARED_CACHE"
  export STACK=heroku-24
}

# use_fixture NAME: a fresh copy of test/fixtures/NAME as the app to build.
use_fixture() {
  rm -rf "$APP"
  cp -a "$FIXTURES/$1" "$APP"
}

# config_var NAME VALUE: a config var, as Heroku passes it in ENV_DIR (and as
# the dyno helper gives it to the dyno).
config_var() {
  printf '%s' "$2" >"$ENV_DIR/$1"
}

# compile_app [CACHE_DIR]: runs the real bin/compile on $APP (as `run`, so
# $status and $output are set). The shared cache unless one is given.
compile_app() {
  run "$BP_DIR/bin/compile" "$APP" "${1:-$SHARED_CACHE}" "$ENV_DIR"
}

# A free TCP port on loopback.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start_dyno TYPE [bin/local start options]: starts process TYPE of the built
# $APP in the background exactly as bin/local does for users (clean env with
# the config vars, HOME, DYNO, PORT; .profile.d, .profile, bash -c), with the
# stubs first on PATH. Output goes to $DYNO_OUT; $DYNO_PORT is its port.
# Two optional settings shape the dyno as Heroku's are: DYNO_CGROUP, a cgroup
# directory the dyno runs in (its every process, from the start), and
# DYNO_CPUS, the CPUs it may use (taskset), e.g. 0 for a one-CPU share.
start_dyno() {
  local type=$1
  shift
  DYNO_PORT=$(free_port)
  local -a pin=()
  if [[ -n "${DYNO_CPUS:-}" ]]; then pin=(taskset -c "$DYNO_CPUS"); fi
  (
    if [[ -n "${DYNO_CGROUP:-}" ]]; then echo "$BASHPID" >"$DYNO_CGROUP/cgroup.procs"; fi
    exec "${pin[@]}" "$BP_DIR/bin/local" start "$APP" "$type" --env-dir "$ENV_DIR" --port "$DYNO_PORT" \
      -e "PATH=$STUBS:/usr/local/bin:/usr/bin:/bin" -e "STUB_LOG=$STUB_LOG" \
      -e "ASAN_OPTIONS=$ASAN_OPTIONS" -e "UBSAN_OPTIONS=$UBSAN_OPTIONS" \
      "$@"
  ) >"$DYNO_OUT" 2>&1 3>&- &
  DYNO_LAUNCHER=$!
}

# stop_dyno: stops it as Heroku does (SIGTERM to every process of the dyno,
# SIGKILL after the grace) and sets $DYNO_STATUS to the dyno's exit status.
stop_dyno() {
  kill -TERM "$DYNO_LAUNCHER" 2>/dev/null || true
  DYNO_STATUS=0
  wait "$DYNO_LAUNCHER" || DYNO_STATUS=$?
}

# wait_until SECONDS COMMAND...: polls until COMMAND succeeds; fails after
# SECONDS. A bound on waiting, never a timing assertion.
wait_until() {
  local limit=$1 i
  shift
  for ((i = 0; i < limit * 20; i++)); do
    if "$@"; then return 0; fi
    sleep 0.05
  done
  echo "wait_until: gave up after ${limit}s waiting for: $*" >&2
  return 1
}

# The JSON records of stub NAME (one per process that ran).
stub_records() {
  compgen -G "$STUB_LOG/$1.*.json" || true
}

stub_started() {
  [[ -n "$(stub_records "$1")" ]]
}

# stub_env NAME VAR: VAR as the (first) NAME stub saw it; "<unset>" if unset.
stub_env() {
  python3 - "$(stub_records "$1" | head -n 1)" "$2" <<'PY'
import json, sys
env = json.load(open(sys.argv[1]))["env"]
print(env.get(sys.argv[2], "<unset>"))
PY
}

# stub_argv NAME: the argv of the (first) NAME stub, one word per line.
stub_argv() {
  python3 -c 'import json,sys; print("\n".join(json.load(open(sys.argv[1]))["argv"]))' \
    "$(stub_records "$1" | head -n 1)"
}

# http_get PORT [PATH]: the body of an HTTP GET to loopback.
http_get() {
  curl -fsS --max-time 5 "http://127.0.0.1:$1${2:-/}"
}
