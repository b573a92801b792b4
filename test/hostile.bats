#!/usr/bin/env bats
# Hostile and unlucky inputs (issue 15), each through the real entry point:
# bin/compile, bin/release, bin/local, solodyno-slug, a started dyno. Each test
# names the promise of the README it keeps.

load test_helper

setup() {
  common_setup
  SLUG_BIN="$SOLODYNO_BUILD_DIR/solodyno-slug"
}

teardown() {
  if [[ -n "${DYNO_LAUNCHER:-}" ]] && kill -0 "$DYNO_LAUNCHER" 2>/dev/null; then
    stop_dyno
  fi
  if [[ -n "${MOUNTED:-}" ]]; then
    umount "$MOUNTED" 2>/dev/null || true
  fi
}

# ---- config vars never become arguments -------------------------------------------

# A value that splits into several arguments, one of them a glob, if pasted raw.
HOSTILE_THREADS='2 -r ./evil.rb * --verbose'

@test "SIDEKIQ_THREADS with spaces, a glob and dashes reaches Sidekiq as one argument (web dyno member and worker dyno)" {
  use_fixture mastodon
  compile_app
  assert_success
  : >"$APP/evil.rb"
  config_var SIDEKIQ_THREADS "$HOSTILE_THREADS"
  config_var RUN_WORKER true
  start_dyno web
  wait_until 30 stub_started sidekiq
  run stub_argv sidekiq
  assert_output "$(printf '%s\n' sidekiq -c "$HOSTILE_THREADS")"
  stop_dyno
  rm -f "$STUB_LOG"/*
  start_dyno worker
  wait_until 30 stub_started sidekiq
  run stub_argv sidekiq
  assert_output "$(printf '%s\n' sidekiq -c "$HOSTILE_THREADS")"
  stop_dyno
}

@test "a generic app's worker gets the same quoted -c" {
  use_fixture rails-generic
  compile_app
  assert_success
  : >"$APP/evil.rb"
  config_var SIDEKIQ_THREADS "$HOSTILE_THREADS"
  start_dyno worker
  wait_until 30 stub_started sidekiq
  run stub_argv sidekiq
  assert_output "$(printf '%s\n' sidekiq -c "$HOSTILE_THREADS")"
  stop_dyno
}

# release_web: the web command bin/release names for the built $APP.
release_web() {
  "$BP_DIR/bin/release" "$APP" | python3 -c 'import sys, yaml; print(yaml.safe_load(sys.stdin)["default_process_types"]["web"])'
}

@test "bin/release's default web command passes RAILS_ENV and PORT as one argument each; production when unset" {
  use_fixture rails-generic
  rm "$APP/Procfile"
  mkdir -p "$APP/bin"
  ln -s "$STUBS/rails" "$APP/bin/rails"
  compile_app
  assert_success
  : >"$APP/evil.rb"
  local cmd
  cmd=$(release_web)
  # Started as Heroku starts a default process type: like a Procfile command.
  config_var RAILS_ENV 'production -b 0.0.0.0 *'
  run "$BP_DIR/bin/local" run "$APP" "$cmd" --env-dir "$ENV_DIR" --port 5123 \
    -e "PATH=$STUBS:/usr/bin:/bin" -e "STUB_LOG=$STUB_LOG"
  assert_success
  run stub_argv rails
  assert_output "$(printf '%s\n' rails server -p 5123 -e 'production -b 0.0.0.0 *')"
  rm -f "$STUB_LOG"/* "$ENV_DIR/RAILS_ENV"
  run "$BP_DIR/bin/local" run "$APP" "$cmd" --env-dir "$ENV_DIR" --port 5123 \
    -e "PATH=$STUBS:/usr/bin:/bin" -e "STUB_LOG=$STUB_LOG"
  assert_success
  run stub_argv rails
  assert_output "$(printf '%s\n' rails server -p 5123 -e production)"
}

