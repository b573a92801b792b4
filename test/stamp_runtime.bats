#!/usr/bin/env bats
# The stamp at dyno start: the variables the app sees (through the .profile
# block and `solodyno env`), only where not set, and what a pipeline promotion
# keeps. Built with the real bin/compile, started with the dyno helper; what
# counts is what the puma stub saw.

load test_helper

setup() {
  common_setup
  unset SOURCE_VERSION
}

teardown() {
  if [[ -n "${DYNO_LAUNCHER:-}" ]]; then stop_dyno; fi
}

HASH=0123456789abcdef0123456789abcdef01234567

# A process type of its own that runs Puma directly, so these tests depend on
# nothing but the stamp, `solodyno env` and the .profile block.
build_app() {
  use_fixture "$1"
  printf 'stampprobe: bundle exec puma -C config/puma.rb\n' >>"$APP/Procfile"
  compile_app
  assert_success
}

# start_probe [start_dyno options]: starts it and waits for Puma.
start_probe() {
  start_dyno stampprobe "$@"
  wait_until 20 stub_started puma || { cat "$DYNO_OUT"; return 1; }
}

@test "a Mastodon app sees SOURCE_VERSION, SOURCE_COMMIT, SOURCE_TAG and the short hash as version metadata" {
  export SOURCE_VERSION=$HASH
  build_app mastodon
  unset SOURCE_VERSION
  start_probe
  assert_equal "$(stub_env puma SOURCE_VERSION)" "$HASH"
  assert_equal "$(stub_env puma SOURCE_COMMIT)" "$HASH"
  assert_equal "$(stub_env puma SOURCE_TAG)" "$HASH"
  assert_equal "$(stub_env puma MASTODON_VERSION_METADATA)" "0123456"
}

@test "SOLODYNO_VERSION_METADATA=0 at dyno start turns the version metadata off, not the rest" {
  export SOURCE_VERSION=$HASH
  build_app mastodon
  unset SOURCE_VERSION
  config_var SOLODYNO_VERSION_METADATA 0
  start_probe
  assert_equal "$(stub_env puma MASTODON_VERSION_METADATA)" "<unset>"
  assert_equal "$(stub_env puma SOURCE_TAG)" "$HASH"
  assert_equal "$(stub_env puma SOURCE_VERSION)" "$HASH"
}

@test "a generic app sees SOURCE_VERSION and SOURCE_COMMIT only" {
  export SOURCE_VERSION=$HASH
  build_app rails-generic
  unset SOURCE_VERSION
  start_probe
  assert_equal "$(stub_env puma SOURCE_VERSION)" "$HASH"
  assert_equal "$(stub_env puma SOURCE_COMMIT)" "$HASH"
  assert_equal "$(stub_env puma SOURCE_TAG)" "<unset>"
  assert_equal "$(stub_env puma MASTODON_VERSION_METADATA)" "<unset>"
}

@test "promotion: the same build started with another app's config vars keeps the stamp; the user's SOURCE_TAG wins" {
  # Staging builds the slug.
  config_var GITHUB_REPOSITORY me/mastodon
  export SOURCE_VERSION=$HASH
  build_app mastodon
  unset SOURCE_VERSION
  # Production: other config vars, among them its own SOURCE_TAG.
  ENV_DIR="$BATS_TEST_TMPDIR/production-env"
  mkdir -p "$ENV_DIR"
  config_var SOURCE_TAG v4.3.2-production
  config_var RUN_WORKER true
  start_probe
  assert_equal "$(stub_env puma SOURCE_VERSION)" "$HASH"
  assert_equal "$(stub_env puma SOURCE_COMMIT)" "$HASH"
  assert_equal "$(stub_env puma SOURCE_TAG)" "v4.3.2-production"
  assert_equal "$(stub_env puma MASTODON_VERSION_METADATA)" "0123456"
}

@test "a user's SOURCE_VERSION config var wins over the stamp" {
  export SOURCE_VERSION=$HASH
  build_app rails-generic
  unset SOURCE_VERSION
  config_var SOURCE_VERSION my-own-label
  start_probe
  assert_equal "$(stub_env puma SOURCE_VERSION)" "my-own-label"
  assert_equal "$(stub_env puma SOURCE_COMMIT)" "$HASH"
}

@test "unknown at build: HEROKU_SLUG_COMMIT stands in at dyno start" {
  build_app mastodon
  assert_equal "$(cat "$APP/.solodyno/source-version")" "unknown"
  start_probe -e HEROKU_SLUG_COMMIT=fedcba9876543210fedcba9876543210fedcba98
  assert_equal "$(stub_env puma SOURCE_VERSION)" "fedcba9876543210fedcba9876543210fedcba98"
  assert_equal "$(stub_env puma SOURCE_TAG)" "fedcba9876543210fedcba9876543210fedcba98"
  assert_equal "$(stub_env puma MASTODON_VERSION_METADATA)" "fedcba9"
}

@test "unknown at build: a bad HEROKU_SLUG_COMMIT is ignored and HEROKU_BUILD_COMMIT stands in" {
  build_app rails-generic
  start_probe -e 'HEROKU_SLUG_COMMIT=$(touch PWNED)' -e HEROKU_BUILD_COMMIT=abcdef0
  assert_equal "$(stub_env puma SOURCE_VERSION)" "abcdef0"
  assert_file_not_exist "$APP/PWNED"
}

@test "unknown at build and no dyno metadata: nothing is set, the dyno starts" {
  build_app mastodon
  start_probe
  assert_equal "$(stub_env puma SOURCE_VERSION)" "<unset>"
  assert_equal "$(stub_env puma SOURCE_TAG)" "<unset>"
}

@test "a stamp file tampered with after the build is ignored with a note, never evaluated" {
  export SOURCE_VERSION=$HASH
  build_app mastodon
  unset SOURCE_VERSION
  printf "x'; touch PWNED; '\n" >"$APP/.solodyno/source-version"
  start_probe
  assert_equal "$(stub_env puma SOURCE_VERSION)" "<unset>"
  assert_file_not_exist "$APP/PWNED"
  run cat "$DYNO_OUT"
  assert_output --partial "solodyno: .solodyno/source-version is not a valid stamp"
}
