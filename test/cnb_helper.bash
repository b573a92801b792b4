#!/usr/bin/env bash
# Cloud Native Buildpacks without Docker: test/cnb_lifecycle.py plays the
# lifecycle v0.21.12 that heroku/builder:22/24/26 pin (detector, builder,
# exporter, restorer, launcher), with this buildpack last in the group.
#
# Load after test_helper; call cnb_setup in setup and cnb_teardown in teardown.
#
#   $CNB_BASE         one directory for everything (readable by the build user)
#   $CNB_BP           a read-only copy of the buildpack (bin/, src/, buildpack.toml)
#   $CNB_APP          the app, the working directory of detect and build (/workspace)
#   $CNB_LAYERS_ROOT  the layers dir (/layers); $CNB_LAYERS is ours in it
#                     (/layers/solodyno_solodyno)
#   $CNB_PLATFORM     the platform dir; config vars (pack build --env) are files in its env/
#   $CNB_IMAGE        the exported image; $CNB_CACHE the build cache
#   $CNB_GROUP        the buildpack dirs of the group, in order (ours alone by default)
#   $CNB_TARGET       the run image's target, OS/ARCH/DISTRO/VERSION
#   $CNB_BUILDER_ENV  NAME=VALUE pairs of the builder image's ENV (the
#                     lifecycle's environment: most never reach bin/build)
#   $CNB_OUT          output of the last cnb_start
# As root, the lifecycle runs as nobody (setpriv), like the builder's non-root
# user; the buildpack dir is never writable.

CNB_TOOL="$BP_DIR/test/cnb_lifecycle.py"
CNB_BUILDPACKS="$BP_DIR/test/fixtures/cnb-buildpacks"

cnb_setup() {
  CNB_BASE=$(mktemp -d /tmp/solodyno-cnb.XXXXXX)
  chmod 755 "$CNB_BASE"
  CNB_BP="$CNB_BASE/buildpack"
  CNB_APP="$CNB_BASE/workspace"
  CNB_LAYERS_ROOT="$CNB_BASE/layers"
  CNB_LAYERS="$CNB_LAYERS_ROOT/solodyno_solodyno"
  CNB_PLATFORM="$CNB_BASE/platform"
  CNB_IMAGE="$CNB_BASE/image"
  CNB_CACHE="$CNB_BASE/cache"
  CNB_HOME="$CNB_BASE/home"
  CNB_STUB_LOG="$CNB_BASE/stub-log"
  CNB_OUT="$CNB_BASE/launch.out"
  CNB_ARCH=${CNB_ARCH:-$(case "$(uname -m)" in aarch64) echo arm64 ;; *) echo amd64 ;; esac)}
  CNB_TARGET="linux/$CNB_ARCH/ubuntu/24.04"
  mkdir -p "$CNB_BP" "$CNB_APP" "$CNB_LAYERS" "$CNB_PLATFORM/env" "$CNB_HOME" "$CNB_STUB_LOG" "$CNB_IMAGE" "$CNB_CACHE"
  cp -a "$BP_DIR/bin" "$BP_DIR/src" "$BP_DIR/buildpack.toml" "$CNB_BP/"
  chmod -R a-w "$CNB_BP"
  CNB_GROUP=("$CNB_BP")
  CNB_AS_USER=()
  if [[ "$(id -u)" == 0 ]]; then
    chown -R nobody:nogroup "$CNB_APP" "$CNB_LAYERS_ROOT" "$CNB_PLATFORM" "$CNB_HOME" "$CNB_STUB_LOG" \
      "$CNB_IMAGE" "$CNB_CACHE"
    CNB_AS_USER=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
  fi
  # heroku/builder:24's ENV (a CNB builder sets little more): the lifecycle
  # passes only HOME, HOSTNAME, the proxies and the path variables on.
  CNB_BUILDER_ENV=("HOME=$CNB_HOME" "PATH=/usr/local/bin:/usr/bin:/bin" "CNB_USER_ID=1002" "CNB_GROUP_ID=1000")
  # What the suite itself needs in bin/build (a sanitizer build, its options)
  # goes the way a user's variable goes: a platform env file (pack build --env).
  local v
  for v in SOLODYNO_EXTRA_CFLAGS ASAN_OPTIONS UBSAN_OPTIONS; do
    [[ -n "${!v:-}" ]] && printf '%s' "${!v}" >"$CNB_PLATFORM/env/$v"
  done
  cnb_own "$CNB_PLATFORM"
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

# cnb_group_nodejs: heroku/nodejs's stand-in before us, as in heroku/builder's
# order for a Mastodon app (heroku/nodejs, heroku/ruby, then this buildpack).
cnb_group_nodejs() {
  cp -a "$CNB_BUILDPACKS/nodejs" "$CNB_BASE/bp-nodejs"
  chmod -R a-w "$CNB_BASE/bp-nodejs"
  CNB_GROUP=("$CNB_BASE/bp-nodejs" "${CNB_GROUP[@]}")
}

_cnb_lifecycle() {
  "${CNB_AS_USER[@]}" env -i "${CNB_BUILDER_ENV[@]}" python3 "$CNB_TOOL" "$@"
}

_cnb_detect() {
  _cnb_lifecycle detect --app "$CNB_APP" --platform "$CNB_PLATFORM" --target "$CNB_TARGET" "${CNB_GROUP[@]}"
}

# The build, then the export of its image and cache.
_cnb_build() {
  _cnb_lifecycle build --app "$CNB_APP" --platform "$CNB_PLATFORM" --layers "$CNB_LAYERS_ROOT" \
    --target "$CNB_TARGET" "${CNB_GROUP[@]}" || return
  _cnb_lifecycle export --layers "$CNB_LAYERS_ROOT" --image "$CNB_IMAGE" --cache "$CNB_CACHE"
}

# cnb_detect / cnb_build: the phase as `run` ($status, $output).
cnb_detect() { run --separate-stderr _cnb_detect; }
cnb_build() { run _cnb_build; }

# cnb_check: every TOML file of our layers dir against the spec.
cnb_check() {
  run python3 "$CNB_TOOL" check "$CNB_LAYERS"
}

# cnb_restore: what the lifecycle leaves for the next build of the same app.
cnb_restore() {
  _cnb_lifecycle restore --layers "$CNB_LAYERS_ROOT" --image "$CNB_IMAGE" --cache "$CNB_CACHE"
}

# A cc that records every call, then runs the real compiler: first on the
# build's PATH, as a builder image or an earlier buildpack would put it.
cnb_recording_cc() {
  local real
  real=$(command -v gcc || command -v cc)
  mkdir -p "$CNB_BASE/ccwrap"
  printf '#!/bin/sh\necho "$*" >>"%s"\nexec "%s" "$@"\n' "$CNB_BASE/cc-calls" "$real" \
    >"$CNB_BASE/ccwrap/cc"
  chmod 755 "$CNB_BASE/ccwrap/cc"
  : >"$CNB_BASE/cc-calls"
  chmod 666 "$CNB_BASE/cc-calls"
  cnb_builder_env "PATH=$CNB_BASE/ccwrap:/usr/local/bin:/usr/bin:/bin"
}

# cnb_builder_env NAME=VALUE...: sets variables of the builder image's ENV.
cnb_builder_env() {
  local kv i
  for kv in "$@"; do
    for i in "${!CNB_BUILDER_ENV[@]}"; do
      [[ "${CNB_BUILDER_ENV[$i]%%=*}" == "${kv%%=*}" ]] && unset "CNB_BUILDER_ENV[$i]"
    done
    CNB_BUILDER_ENV+=("$kv")
  done
  CNB_BUILDER_ENV=("${CNB_BUILDER_ENV[@]}")
}

# The environment of a container started from the image: what the exporter
# sets (CNB_*, PATH with /cnb/process and /cnb/lifecycle, which the launcher
# takes out again), the platform's runtime variables (docker run -e) and the
# stubs standing in for the app's programs. NAME=VALUE arguments add to it.
_cnb_run_env() {
  CNB_RUN_ENV=(
    "HOME=$CNB_HOME" "PATH=/cnb/process:/cnb/lifecycle:$STUBS:/usr/local/bin:/usr/bin:/bin"
    "CNB_LAYERS_DIR=/layers" "CNB_APP_DIR=/workspace" "CNB_PLATFORM_API=0.13" "CNB_DEPRECATION_MODE=quiet"
    "STUB_LOG=$CNB_STUB_LOG" "ASAN_OPTIONS=$ASAN_OPTIONS" "UBSAN_OPTIONS=$UBSAN_OPTIONS"
    "$@"
  )
}

# _cnb_docker_cmd [-e NAME=VALUE]... [--entrypoint PATH] [--print-env] [--] [CMD...]:
# the command line of `docker run` of the image, in $CNB_DOCKER_CMD.
_cnb_docker_cmd() {
  local -a envs=() opts=()
  while (($#)); do
    case "$1" in
      -e) envs+=("$2"); shift 2 ;;
      --entrypoint) opts+=(--entrypoint "$2"); shift 2 ;;
      --print-env) opts+=(--print-env); shift ;;
      --) shift; break ;;
      *) break ;;
    esac
  done
  _cnb_run_env "${envs[@]}"
  CNB_DOCKER_CMD=("${CNB_AS_USER[@]}" env -i "${CNB_RUN_ENV[@]}"
    python3 "$CNB_TOOL" launch --image "$CNB_IMAGE" --app "$CNB_APP" "${opts[@]}" -- "$@")
}

# cnb_docker_run ...: that `docker run`, in the foreground (call it with `run`).
cnb_docker_run() {
  _cnb_docker_cmd "$@"
  "${CNB_DOCKER_CMD[@]}"
}

# cnb_launch_env TYPE [NAME=VALUE ...]: the environment process TYPE gets
# from the launcher, as JSON in $output (exec.d's logs in $stderr).
cnb_launch_env() {
  local type=$1 kv
  shift
  local -a envs=()
  for kv in "$@"; do envs+=(-e "$kv"); done
  run --separate-stderr cnb_docker_run "${envs[@]}" --entrypoint "/cnb/process/$type" --print-env
}

# cnb_start TYPE [NAME=VALUE ...] [-- CMD...]: starts process TYPE of the
# image in the background (docker run --entrypoint /cnb/process/TYPE IMAGE
# [CMD...]); $CNB_PORT is its PORT, $CNB_PID the container's main process.
cnb_start() {
  local type=$1
  shift
  local -a envs=()
  while (($#)) && [[ "$1" != -- ]]; do envs+=(-e "$1"); shift; done
  [[ "${1:-}" == -- ]] && shift
  CNB_PORT=${CNB_PORT_WANTED:-$(free_port)}
  _cnb_docker_cmd -e "PORT=$CNB_PORT" "${envs[@]}" --entrypoint "/cnb/process/$type" -- "$@"
  (exec "${CNB_DOCKER_CMD[@]}") >"$CNB_OUT" 2>&1 3>&- &
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
