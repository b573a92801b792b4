#!/usr/bin/env bats
# bin/compile: the helper's build and cache, the install into the slug, the log.

load test_helper

setup() { common_setup; }

# A cc that records every call, then runs the real compiler.
make_recording_cc() {
  local real
  real=$(command -v gcc || command -v cc)
  mkdir -p "$BATS_TEST_TMPDIR/ccwrap"
  printf '#!/bin/sh\necho "$*" >>"%s"\nexec "%s" "$@"\n' "$BATS_TEST_TMPDIR/cc-calls" "$real" \
    >"$BATS_TEST_TMPDIR/ccwrap/cc"
  chmod +x "$BATS_TEST_TMPDIR/ccwrap/cc"
  : >"$BATS_TEST_TMPDIR/cc-calls"
  export CC="$BATS_TEST_TMPDIR/ccwrap/cc"
}

@test "compile builds the helper into the slug for the Mastodon fixture" {
  use_fixture mastodon
  compile_app
  assert_success
  assert_output --partial "-----> solodyno: building the helper"
  assert_file_executable "$APP/.solodyno/bin/solodyno"
  run "$APP/.solodyno/bin/solodyno" version
  assert_success
  assert_output --regexp '^solodyno [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "compile builds the generic Rails fixture" {
  use_fixture rails-generic
  compile_app
  assert_success
  assert_file_executable "$APP/.solodyno/bin/solodyno"
}

@test "compile builds an app without a Procfile" {
  use_fixture no-procfile
  compile_app
  assert_success
  assert_file_executable "$APP/.solodyno/bin/solodyno"
}

@test "a cold build compiles, a warm build reuses the cache without running the compiler" {
  use_fixture mastodon
  make_recording_cc
  compile_app "$CACHE"
  assert_success
  assert_output --partial "Compiling solodyno"
  [ -s "$BATS_TEST_TMPDIR/cc-calls" ]

  : >"$BATS_TEST_TMPDIR/cc-calls"
  use_fixture mastodon
  compile_app "$CACHE"
  assert_success
  assert_output --partial "Using cached solodyno"
  refute_output --partial "Compiling solodyno"
  # Not even `cc --version`: a warm build never runs the compiler.
  [ ! -s "$BATS_TEST_TMPDIR/cc-calls" ]
  assert_file_executable "$APP/.solodyno/bin/solodyno"
}

@test "the cache key changes with the stack and with the sources" {
  use_fixture mastodon
  make_recording_cc
  STACK=heroku-22 compile_app "$CACHE"
  assert_output --partial "Compiling solodyno"
  STACK=heroku-24 compile_app "$CACHE"
  assert_output --partial "Compiling solodyno"
  STACK=heroku-24 compile_app "$CACHE"
  assert_output --partial "Using cached solodyno"
  # Only the newest build stays in the cache.
  run bash -c "ls '$CACHE/solodyno-bin' | wc -l"
  assert_output "1"

  # A changed source file (in a copy of the buildpack) means a new key.
  cp -a "$BP_DIR" "$BATS_TEST_TMPDIR/bp"
  echo '/* changed */' >>"$BATS_TEST_TMPDIR/bp/src/common/log.c"
  run "$BATS_TEST_TMPDIR/bp/bin/compile" "$APP" "$CACHE" "$ENV_DIR"
  assert_success
  assert_output --partial "Compiling solodyno"
  # So does a changed compiler flag of the build script (-Os to -O2).
  sed -i 's/^SOLODYNO_CFLAGS=(-Os /SOLODYNO_CFLAGS=(-O2 /' "$BATS_TEST_TMPDIR/bp/bin/lib/build_solodyno.sh"
  grep -q '^SOLODYNO_CFLAGS=(-O2 ' "$BATS_TEST_TMPDIR/bp/bin/lib/build_solodyno.sh"
  run "$BATS_TEST_TMPDIR/bp/bin/compile" "$APP" "$CACHE" "$ENV_DIR"
  assert_success
  assert_output --partial "Compiling solodyno"
}

@test "compile fails clearly, naming the stack, when no C compiler exists" {
  use_fixture mastodon
  # A PATH with every tool of /usr/bin and /bin except the C compilers.
  local nocc="$BATS_TEST_TMPDIR/nocc"
  mkdir -p "$nocc"
  local f
  for f in /usr/bin/* /bin/*; do
    case "${f##*/}" in
      cc | c89* | c99* | gcc* | clang* | *-gcc* | *-cc | tcc | x86_64-linux-gnu-* | aarch64-linux-gnu-*) ;;
      *) [[ -e "$nocc/${f##*/}" ]] || ln -s "$f" "$nocc/${f##*/}" ;;
    esac
  done
  run env -u CC PATH="$nocc" STACK=heroku-24 "$BP_DIR/bin/compile" "$APP" "$CACHE" "$ENV_DIR"
  assert_failure
  assert_output --partial "No C compiler found on this stack (heroku-24)"
  assert_file_not_exists "$APP/.solodyno/bin/solodyno"
}

@test "a failed compile names the file and the compiler's status, even when the compiler printed nothing" {
  use_fixture mastodon
  local real
  real=$(command -v gcc || command -v cc)
  mkdir -p "$BATS_TEST_TMPDIR/ccwrap"
  # Killed by a signal (as the OOM killer would) while compiling run.c.
  printf '#!/bin/sh\ncase "$*" in *src/dyno/run.c*) kill -KILL $$ ;; esac\nexec "%s" "$@"\n' "$real" \
    >"$BATS_TEST_TMPDIR/ccwrap/cc"
  chmod +x "$BATS_TEST_TMPDIR/ccwrap/cc"
  CC="$BATS_TEST_TMPDIR/ccwrap/cc" compile_app "$CACHE"
  assert_failure
  assert_output --partial "compiling src/dyno/run.c: the compiler exited with status 137"
  assert_output --partial "Compiling solodyno failed"
  assert_file_not_exists "$APP/.solodyno/bin/solodyno"
  # The compiler's own message is shown, and the failed build left no binary to reuse.
  printf '#!/bin/sh\ncase "$*" in *src/dyno/run.c*) echo "run.c:1: error: made up" >&2; exit 1 ;; esac\nexec "%s" "$@"\n' \
    "$real" >"$BATS_TEST_TMPDIR/ccwrap/cc"
  CC="$BATS_TEST_TMPDIR/ccwrap/cc" compile_app "$CACHE"
  assert_failure
  assert_output --partial "run.c:1: error: made up"
  run find "$CACHE" -name solodyno -type f
  assert_output ""
}

@test "compile works from a read-only buildpack directory as a non-root user, writing nothing there" {
  local base
  base=$(mktemp -d /tmp/solodyno-ro.XXXXXX)
  chmod 755 "$base"
  cp -a "$BP_DIR/bin" "$BP_DIR/src" "$base/"
  mkdir -p "$base/app" "$base/cache" "$base/env"
  cp -a "$FIXTURES/mastodon/." "$base/app/"
  chmod -R a-w "$base/bin" "$base/src"
  find "$base/bin" "$base/src" -type f -exec sha256sum {} + | sort >"$BATS_TEST_TMPDIR/before"
  local -a as_user=()
  if [[ "$(id -u)" == 0 ]]; then
    chown -R nobody:nogroup "$base/app" "$base/cache" "$base/env"
    as_user=(setpriv --reuid=nobody --regid=nogroup --clear-groups env HOME=/tmp)
  fi
  run "${as_user[@]}" "$base/bin/compile" "$base/app" "$base/cache" "$base/env"
  assert_success
  assert_file_executable "$base/app/.solodyno/bin/solodyno"
  find "$base/bin" "$base/src" -type f -exec sha256sum {} + | sort >"$BATS_TEST_TMPDIR/after"
  run diff "$BATS_TEST_TMPDIR/before" "$BATS_TEST_TMPDIR/after"
  assert_success
  run find "$base/bin" "$base/src" -newer "$BATS_TEST_TMPDIR/before"
  assert_output ""
  chmod -R u+w "$base"
  rm -rf "$base"
}

@test "BUILDPACK_XTRACE traces the build script" {
  use_fixture mastodon
  BUILDPACK_XTRACE=1 compile_app
  assert_success
  assert_output --partial "+ build_solodyno"
}

@test "compile refuses a .solodyno that is a symlink out of the app" {
  use_fixture mastodon
  mkdir -p "$BATS_TEST_TMPDIR/outside"
  ln -s "$BATS_TEST_TMPDIR/outside" "$APP/.solodyno"
  compile_app
  assert_failure
  assert_output --partial "symlink"
  run ls -A "$BATS_TEST_TMPDIR/outside"
  assert_output ""
}

@test "compile fails with a usage line without arguments" {
  run "$BP_DIR/bin/compile"
  assert_failure
  assert_output --partial "usage: bin/compile BUILD_DIR CACHE_DIR ENV_DIR"
}
