#!/usr/bin/env bats
# The one-dyno layout on a dyno: the app built by the real bin/compile, its web
# process started as Heroku would (bin/local), the stubs saying what ran.
# .solodyno/bin reaches PATH through the app's .profile, as on Heroku.

load test_helper

setup() {
  common_setup
  # A marker unique to this test run in every dyno's environment.
  MARK="procfile-dyno-$$-$RANDOM"
}

teardown() {
  if [[ -n "${DYNO_LAUNCHER:-}" ]] && kill -0 "$DYNO_LAUNCHER" 2>/dev/null; then
    stop_dyno
  fi
}

# build FIXTURE: the fixture through bin/compile.
build() {
  use_fixture "$1"
  compile_app
  assert_success
}

# web_dyno [-e NAME=VALUE ...]: starts the web process type.
web_dyno() {
  start_dyno web -e "PROCFILE_DYNO_MARK=$MARK" "$@"
}

@test "Mastodon, RUN_WORKER=true: puma and sidekiq start together on the web dyno, streaming does not" {
  build mastodon
  web_dyno -e RUN_WORKER=true
  wait_until 30 stub_started puma
  wait_until 30 stub_started sidekiq
  wait_until 30 http_get "$DYNO_PORT"
  run stub_env puma BIND
  assert_output "0.0.0.0"
  run stub_argv puma
  assert_output $'puma\n-C\nconfig/puma.rb'
  run stub_argv sidekiq
  assert_line --index 0 "sidekiq"
  assert_line --index 1 "-c"
  assert_line --index 2 --regexp '^[0-9]+$'
  run stub_env sidekiq PROCFILE_DYNO_MARK
  assert_output "$MARK"
  run stub_started node
  assert_failure
  stop_dyno
  run cat "$DYNO_OUT"
  refute_output --partial "no member"
}

@test "Mastodon, RUN_STREAMING=true: only the streaming server starts" {
  build mastodon
  web_dyno -e RUN_STREAMING=true
  wait_until 30 stub_started node
  wait_until 30 http_get "$DYNO_PORT"
  run stub_argv node
  assert_output $'node\n./streaming'
  run stub_env node BIND
  assert_output "0.0.0.0"
  run stub_started puma
  assert_failure
  run stub_started sidekiq
  assert_failure
  stop_dyno
}

@test "Mastodon without RUN_WORKER: puma alone" {
  build mastodon
  web_dyno
  wait_until 30 stub_started puma
  wait_until 30 http_get "$DYNO_PORT"
  run stub_started sidekiq
  assert_failure
  run stub_started node
  assert_failure
  stop_dyno
}

@test "a hand-made one-liner, once laid out, runs the same members: puma always, sidekiq on RUN_WORKER with its queues" {
  use_fixture mastodon
  cp "$FIXTURES/procfiles/mastodon-oneliner-plain/Procfile" "$APP/Procfile"
  build_app_in_place
  web_dyno -e RUN_WORKER=true -e SIDEKIQ_THREADS=2
  wait_until 30 stub_started puma
  wait_until 30 stub_started sidekiq
  run stub_argv sidekiq
  assert_output $'sidekiq\n-q\ndefault,8\n-q\npush,6\n-q\nmailers,2\n-q\npull\n-c\n2'
  stop_dyno
}

# The app already in $APP, built as it is.
build_app_in_place() {
  compile_app
  assert_success
}
