#!/usr/bin/env bats
# bin/local: building into a separate directory, and the dyno emulation the
# other suites rely on (start as a dyno does, stop as Heroku does).

load test_helper

setup() {
  common_setup
  use_fixture no-procfile
  # Unique sleep lengths, so pgrep never sees another test run's processes.
  S1=$((200000 + RANDOM * 4))
  S2=$((S1 + 1))
}

# A process type that is not web or worker, so later build steps leave it alone.
add_process() {
  printf '%s: %s\n' "$1" "$2" >>"$APP/Procfile"
}

@test "a dyno gets a clean environment: config vars, HOME, DYNO, PORT; .profile.d before .profile" {
  add_process probe 'env >"$STUB_LOG/env.txt"; pwd >"$STUB_LOG/pwd.txt"'
  compile_app
  assert_success
  mkdir -p "$APP/.profile.d"
  echo 'export ORDER=profile.d' >"$APP/.profile.d/a.sh"
  echo 'export ORDER="$ORDER,profile"' >>"$APP/.profile"
  config_var GREETING 'hello world'
  export OUTSIDE_VAR=leaks
  start_dyno probe
  wait "$DYNO_LAUNCHER"
  run grep -E '^(HOME|DYNO|PORT|GREETING|ORDER|OUTSIDE_VAR)=' "$STUB_LOG/env.txt"
  assert_line "HOME=$APP"
  assert_line "DYNO=probe.1"
  assert_line "PORT=$DYNO_PORT"
  assert_line "GREETING=hello world"
  assert_line "ORDER=profile.d,profile"
  refute_line --partial "OUTSIDE_VAR"
  run cat "$STUB_LOG/pwd.txt"
  assert_output "$APP"
}

@test "the dyno's exit status is the command's" {
  add_process fails 'exit 7'
  compile_app
  start_dyno fails
  local status=0
  wait "$DYNO_LAUNCHER" || status=$?
  [ "$status" -eq 7 ]
}

@test "stopping a dyno sends SIGTERM and a server exits cleanly" {
  add_process server 'puma -C config/puma.rb'
  compile_app
  start_dyno server
  wait_until 10 stub_started puma
  wait_until 10 http_get "$DYNO_PORT"
  run http_get "$DYNO_PORT"
  assert_output --partial "puma"
  stop_dyno
  [ "$DYNO_STATUS" -eq 0 ]
  run cat "$(compgen -G "$STUB_LOG/puma.*.events")"
  assert_line "SIGTERM"
  assert_line "exit 0"
}

@test "stopping a dyno signals every process, including those in other groups and sessions" {
  add_process spread "setsid sleep $S1 & (set -m; sleep $S2 &) ; puma"
  compile_app
  start_dyno spread --grace 5
  wait_until 10 stub_started puma
  wait_until 10 pgrep -f "sleep ($S1|$S2)"
  stop_dyno
  run pgrep -f "sleep ($S1|$S2)"
  assert_failure
}

@test "what ignores SIGTERM is killed with SIGKILL after the grace" {
  add_process stubborn "trap '' TERM; sleep $S1 & sleep $S2"
  compile_app
  start_dyno stubborn --grace 1
  wait_until 10 pgrep -f "sleep $S2"
  stop_dyno
  [ "$DYNO_STATUS" -eq 137 ]
  run cat "$DYNO_OUT"
  assert_output --partial "sending SIGKILL"
  run pgrep -f "sleep ($S1|$S2)"
  assert_failure
}

@test "bin/local build copies the app without .git, never touches the checkout, and builds it" {
  git -C "$APP" init -q
  git -C "$APP" -c user.email=t@example.com -c user.name=t add -A
  git -C "$APP" -c user.email=t@example.com -c user.name=t commit -qm init
  (cd "$APP" && find . -path ./.git -prune -o -type f -print0 | sort -z | xargs -0 sha256sum) >"$BATS_TEST_TMPDIR/before"
  run "$BP_DIR/bin/local" build "$APP" "$BATS_TEST_TMPDIR/out" --cache-dir "$SHARED_CACHE"
  assert_success
  assert_output --partial "Process types"
  assert_file_executable "$BATS_TEST_TMPDIR/out/.solodyno/bin/solodyno"
  assert_dir_not_exists "$BATS_TEST_TMPDIR/out/.git"
  assert_file_exists "$BATS_TEST_TMPDIR/out/config.ru"
  (cd "$APP" && find . -path ./.git -prune -o -type f -print0 | sort -z | xargs -0 sha256sum) >"$BATS_TEST_TMPDIR/after"
  run diff "$BATS_TEST_TMPDIR/before" "$BATS_TEST_TMPDIR/after"
  assert_success
  assert_dir_not_exists "$APP/.solodyno"
}

@test "bin/local build refuses a non-empty output directory" {
  mkdir -p "$BATS_TEST_TMPDIR/out"
  touch "$BATS_TEST_TMPDIR/out/something"
  run "$BP_DIR/bin/local" build "$APP" "$BATS_TEST_TMPDIR/out"
  assert_failure
  assert_output --partial "not empty"
}

@test "bin/local start names a missing process type" {
  compile_app
  run "$BP_DIR/bin/local" start "$APP" nosuchtype
  assert_failure
  assert_output --partial "no process type 'nosuchtype'"
}
