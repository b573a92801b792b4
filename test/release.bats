#!/usr/bin/env bats
# bin/release: YAML that Heroku reads, checked with a real YAML parser.

load test_helper

setup() { common_setup; }

# release_yaml KEY: prints the parsed YAML of bin/release $APP as JSON.
parse_release() {
  "$BP_DIR/bin/release" "$APP" | python3 -c 'import json,sys,yaml; print(json.dumps(yaml.safe_load(sys.stdin), sort_keys=True))'
}

@test "release of a Rails app: empty addons, console and rake as heroku/ruby would" {
  use_fixture rails-generic
  run parse_release
  assert_success
  run python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert d["addons"] == [], d
t = d["default_process_types"]
assert t["console"] == "bin/rails console", t
assert t["rake"] == "bundle exec rake", t
assert t["web"] == "bin/rails server -p \"${PORT:-5000}\" -e \"${RAILS_ENV:-production}\"", t
' "$output"
  assert_success
}

@test "release names solodyno run Procfile.web as web once the layout is there" {
  use_fixture mastodon
  echo 'puma: bundle exec puma' >"$APP/Procfile.web"
  run parse_release
  assert_success
  run python3 -c '
import json, sys
t = json.loads(sys.argv[1])["default_process_types"]
assert t["web"] == "solodyno run Procfile.web", t
assert "console" in t and "rake" in t, t
' "$output"
  assert_success
}

@test "release of an app without a Gemfile names no Ruby process types" {
  mkdir -p "$APP"
  echo '{}' >"$APP/package.json"
  run parse_release
  assert_success
  assert_output '{"addons": [], "default_process_types": {}}'
}

@test "buildpack.toml parses and names what Heroku's registry reads" {
  run python3 - "$BP_DIR/buildpack.toml" <<'PY'
import sys, tomllib
d = tomllib.load(open(sys.argv[1], "rb"))
assert d["buildpack"]["name"] == "solodyno", d
ignored = d["publish"]["Ignore"]["files"]
assert "test/" in ignored and ".ci/" in ignored, ignored
# Never leave out what the build needs at run time.
assert not any(f.startswith(("bin", "src")) for f in ignored), ignored
PY
  assert_success
}
