#!/usr/bin/env bash
# Cloud Native Buildpacks without Docker: runs bin/detect and bin/build the way
# lifecycle 0.21 does for a Buildpack API 0.10 buildpack (see
# buildpacks/spec buildpack.md), and emulates what the lifecycle does between
# builds and at launch with test/cnb_lifecycle.py.
#
# Load after test_helper; call cnb_setup in setup and cnb_teardown in teardown.
#
#   $CNB_BASE       one directory for everything (readable by the build user)
#   $CNB_BP         a read-only copy of the buildpack (bin/, src/, buildpack.toml)
#   $CNB_APP        the app, the working directory of detect and build (/workspace)
#   $CNB_LAYERS     this buildpack's layers dir (/layers/solodyno_solodyno)
#   $CNB_PLATFORM   the platform dir; config vars are files in its env/
#   $CNB_OUT        output of the last cnb_start
# As root, detect and build run as nobody (setpriv), like the builder's
# non-root user; the buildpack dir is never writable.

CNB_TOOL="$BP_DIR/test/cnb_lifecycle.py"

cnb_setup() {
  CNB_BASE=$(mktemp -d /tmp/solodyno-cnb.XXXXXX)
  chmod 755 "$CNB_BASE"
  CNB_BP="$CNB_BASE/buildpack"
  CNB_APP="$CNB_BASE/workspace"
  CNB_LAYERS="$CNB_BASE/layers/solodyno_solodyno"
  CNB_PLATFORM="$CNB_BASE/platform"
  CNB_PLAN_DIR="$CNB_BASE/plan"
  CNB_HOME="$CNB_BASE/home"
  CNB_STUB_LOG="$CNB_BASE/stub-log"
  CNB_OUT="$CNB_BASE/launch.out"
  CNB_ARCH=${CNB_ARCH:-$(case "$(uname -m)" in aarch64) echo arm64 ;; *) echo amd64 ;; esac)}
  mkdir -p "$CNB_BP" "$CNB_APP" "$CNB_LAYERS" "$CNB_PLATFORM/env" "$CNB_PLAN_DIR" "$CNB_HOME" "$CNB_STUB_LOG"
  cp -a "$BP_DIR/bin" "$BP_DIR/src" "$BP_DIR/buildpack.toml" "$CNB_BP/"
  chmod -R a-w "$CNB_BP"
  # The lifecycle gives detect an empty plan file to write to, and build a
  # read-only Buildpack Plan (no entries: this buildpack requires nothing).
  : >"$CNB_PLAN_DIR/detect-plan.toml"
  : >"$CNB_PLAN_DIR/plan.toml"
  chmod 444 "$CNB_PLAN_DIR/plan.toml"
  CNB_AS_USER=()
  if [[ "$(id -u)" == 0 ]]; then
    chown -R nobody:nogroup "$CNB_APP" "$CNB_BASE/layers" "$CNB_PLATFORM" "$CNB_PLAN_DIR" "$CNB_HOME" "$CNB_STUB_LOG"
    chown root:root "$CNB_PLAN_DIR/plan.toml"
    CNB_AS_USER=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
  fi
  CNB_EXTRA_ENV=()
}

cnb_teardown() {
  [[ -n "${CNB_PID:-}" ]] && cnb_stop
  if [[ -n "${CNB_BASE:-}" && -d "$CNB_BASE" ]]; then
    chmod -R u+w "$CNB_BASE"
    rm -rf "$CNB_BASE"
  fi
}

# cnb_use_fixture NAME: the fixture as the app (owned by the build user).
cnb_use_fixture() {
  rm -rf "$CNB_APP"
  cp -a "$FIXTURES/$1" "$CNB_APP"
  cnb_own "$CNB_APP"
}

# Gives a path to the build user (as root), after a test wrote into it.
cnb_own() {
  if [[ "$(id -u)" == 0 ]]; then chown -R nobody:nogroup "$@"; fi
}

# cnb_config_var NAME VALUE: a user-provided variable (pack build --env).
cnb_config_var() {
  printf '%s' "$2" >"$CNB_PLATFORM/env/$1"
  cnb_own "$CNB_PLATFORM/env/$1"
}

# The environment the lifecycle gives detect and build: a clean one with the
# CNB_* variables of the phase, the target, and (clear-env = false) the
# user-provided variables of $CNB_PLATFORM/env. $CNB_EXTRA_ENV adds NAME=VALUE
# pairs the build image would have (CC, PATH).
_cnb_env() {
  local -a vars=(
    "HOME=$CNB_HOME" "PATH=/usr/local/bin:/usr/bin:/bin"
    "CNB_BUILDPACK_DIR=$CNB_BP" "CNB_PLATFORM_DIR=$CNB_PLATFORM"
    "CNB_TARGET_OS=linux" "CNB_TARGET_ARCH=$CNB_ARCH"
    "CNB_TARGET_DISTRO_NAME=ubuntu" "CNB_TARGET_DISTRO_VERSION=24.04"
    "SOLODYNO_EXTRA_CFLAGS=$SOLODYNO_EXTRA_CFLAGS"
    "ASAN_OPTIONS=$ASAN_OPTIONS" "UBSAN_OPTIONS=$UBSAN_OPTIONS"
  )
  local f
  for f in "$CNB_PLATFORM"/env/*; do
    [[ -f "$f" ]] || continue
    [[ "${f##*/}" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] && vars+=("${f##*/}=$(cat "$f")")
  done
  CNB_ENV=("${vars[@]}" "$@" "${CNB_EXTRA_ENV[@]}")
}

_cnb_detect() {
  _cnb_env "CNB_BUILD_PLAN_PATH=$CNB_PLAN_DIR/detect-plan.toml"
  cd "$CNB_APP" || return 99
  "${CNB_AS_USER[@]}" env -i "${CNB_ENV[@]}" \
    "$CNB_BP/bin/detect" "$CNB_PLATFORM" "$CNB_PLAN_DIR/detect-plan.toml"
}

_cnb_build() {
  _cnb_env "CNB_LAYERS_DIR=$CNB_LAYERS" "CNB_BP_PLAN_PATH=$CNB_PLAN_DIR/plan.toml"
  cd "$CNB_APP" || return 99
  "${CNB_AS_USER[@]}" env -i "${CNB_ENV[@]}" \
    "$CNB_BP/bin/build" "$CNB_LAYERS" "$CNB_PLATFORM" "$CNB_PLAN_DIR/plan.toml"
}

# cnb_detect / cnb_build: the phase as `run` ($status, $output).
cnb_detect() { run --separate-stderr _cnb_detect; }
cnb_build() { run _cnb_build; }

# cnb_check: every TOML file of the layers dir against the spec.
cnb_check() {
  run python3 "$CNB_TOOL" check "$CNB_LAYERS"
}

# cnb_restore: what the lifecycle leaves for the next build of the same app.
cnb_restore() {
  python3 "$CNB_TOOL" restore "$CNB_LAYERS"
}

# A cc that records every call, then runs the real compiler (for the build user).
cnb_recording_cc() {
  local real
  real=$(command -v gcc || command -v cc)
  mkdir -p "$CNB_BASE/ccwrap"
  printf '#!/bin/sh\necho "$*" >>"%s"\nexec "%s" "$@"\n' "$CNB_BASE/cc-calls" "$real" \
    >"$CNB_BASE/ccwrap/cc"
  chmod 755 "$CNB_BASE/ccwrap/cc"
  : >"$CNB_BASE/cc-calls"
  chmod 666 "$CNB_BASE/cc-calls"
  CNB_EXTRA_ENV+=("CC=$CNB_BASE/ccwrap/cc")
}

# The environment of a container started from the image: the platform's
# runtime variables (docker run -e) and the stubs standing in for the app's
# programs. NAME=VALUE arguments add to it.
_cnb_run_env() {
  CNB_RUN_ENV=(
    "HOME=$CNB_HOME" "PATH=$STUBS:/usr/local/bin:/usr/bin:/bin"
    "STUB_LOG=$CNB_STUB_LOG" "ASAN_OPTIONS=$ASAN_OPTIONS" "UBSAN_OPTIONS=$UBSAN_OPTIONS"
    "$@"
  )
}

# cnb_launch_env TYPE [NAME=VALUE ...]: the launcher's final environment for
# process TYPE, as JSON in $output.
cnb_launch_env() {
  local type=$1
  shift
  _cnb_run_env "$@"
  run --separate-stderr "${CNB_AS_USER[@]}" env -i "${CNB_RUN_ENV[@]}" \
    python3 "$CNB_TOOL" launch "$CNB_APP" "$type" "$CNB_LAYERS" --print-env
}

# cnb_start TYPE [NAME=VALUE ...]: starts process TYPE of the image in the
# background, through the launcher; $CNB_PORT is its PORT.
cnb_start() {
  local type=$1
  shift
  CNB_PORT=$(free_port)
  _cnb_run_env "PORT=$CNB_PORT" "$@"
  (cd "$CNB_APP" && exec "${CNB_AS_USER[@]}" env -i "${CNB_RUN_ENV[@]}" \
    python3 "$CNB_TOOL" launch "$CNB_APP" "$type" "$CNB_LAYERS") >"$CNB_OUT" 2>&1 3>&- &
  CNB_PID=$!
}

# cnb_stop: SIGTERM to the container's main process (docker stop), then waits;
# $CNB_STATUS is its exit status.
cnb_stop() {
  kill -TERM "$CNB_PID" 2>/dev/null || true
  CNB_STATUS=0
  wait "$CNB_PID" || CNB_STATUS=$?
  CNB_PID=""
}

# The stub records live in the build user's log dir.
cnb_stub_env() {
  STUB_LOG="$CNB_STUB_LOG" stub_env "$@"
}
cnb_stub_started() {
  STUB_LOG="$CNB_STUB_LOG" stub_started "$@"
}
