#!/usr/bin/env bats
# bin/detect in classic mode: which apps the buildpack takes.

load test_helper

setup() { common_setup; }

@test "detect passes for the Mastodon fixture and prints the buildpack name" {
  use_fixture mastodon
  run "$BP_DIR/bin/detect" "$APP"
  assert_success
  assert_output "solodyno"
}

@test "detect passes for an app with only a Gemfile" {
  use_fixture no-procfile
  run "$BP_DIR/bin/detect" "$APP"
  assert_success
  assert_output "solodyno"
}

@test "detect passes for an app with only a package.json or only a Procfile" {
  mkdir -p "$APP"
  echo '{}' >"$APP/package.json"
  run "$BP_DIR/bin/detect" "$APP"
  assert_success
  rm "$APP/package.json"
  echo 'web: ./server' >"$APP/Procfile"
  run "$BP_DIR/bin/detect" "$APP"
  assert_success
}

@test "detect fails with exit 1 and a reason on stderr for an app it cannot serve" {
  mkdir -p "$APP"
  echo 'print(1)' >"$APP/main.py"
  run --separate-stderr "$BP_DIR/bin/detect" "$APP"
  assert_failure 1
  assert_output ""
  [[ "$stderr" == *"no Procfile, Gemfile or package.json"* ]]
}

@test "detect does not take a directory named Gemfile for a Gemfile" {
  mkdir -p "$APP/Gemfile"
  run "$BP_DIR/bin/detect" "$APP"
  assert_failure 1
}
