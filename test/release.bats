#!/usr/bin/env bats
# bin/release: YAML that Heroku reads, checked with a real YAML parser.

load test_helper

teardown() {
  if [[ -n "${DYNO_LAUNCHER:-}" ]] && kill -0 "$DYNO_LAUNCHER" 2>/dev/null; then
    stop_dyno
  fi
}

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

@test "release of an app without a Gemfile names heroku/nodejs's web: npm start, and nothing for an MCP Procfile" {
  # heroku/heroku-buildpack-nodejs at 4f394e954b4e8c438eee33c8146e4bc48f0e1ab7,
  # bin/release: web: npm start, unless a Procfile line names an mcp* type.
  mkdir -p "$APP"
  echo '{}' >"$APP/package.json"
  run parse_release
  assert_success
  assert_output '{"addons": [], "default_process_types": {"web": "npm start"}}'
  echo 'mcp-server: node mcp.js' >"$APP/Procfile"
  run parse_release
  assert_success
  assert_output '{"addons": [], "default_process_types": {}}'
  rm "$APP/package.json" "$APP/Procfile"
  run parse_release
  assert_output '{"addons": [], "default_process_types": {}}'
}

# lockfile GEM...: a Gemfile.lock shaped like Bundler's, locking each
# "name version" given (dependencies indented by six spaces, as Bundler writes
# them, must not count as locked).
lockfile() {
  {
    printf 'GEM\n  remote: https://rubygems.org/\n  specs:\n'
    local g
    for g in "$@"; do printf '    %s (%s)\n' "${g% *}" "${g#* }"; done
    printf '      rack (>= 2.2.4)\n\nPLATFORMS\n  x86_64-linux\n\nDEPENDENCIES\n'
    for g in "$@"; do printf '  %s\n' "${g% *}"; done
    printf '\nBUNDLED WITH\n   2.5.22\n'
  } | sed 's/$/\r/' >"$APP/Gemfile.lock" # CRLF, as a checkout on Windows has it
  echo "source 'https://rubygems.org'" >"$APP/Gemfile"
}

# types: default_process_types as "name=command" lines, sorted.
types() {
  "$BP_DIR/bin/release" "$APP" |
    python3 -c 'import sys,yaml; t = yaml.safe_load(sys.stdin)["default_process_types"]; print("\n".join(f"{k}={v}" for k, v in sorted(t.items())))'
}

@test "each app shape heroku/ruby knows gets its process types (heroku-buildpack-ruby 0c80c93d)" {
  mkdir -p "$APP"
  # lib/language_pack/rails4.rb:21 (Rails 4 to 8: rails5.rb..rails8.rb inherit it)
  lockfile "rails 8.0.1" "railties 8.0.1" "rack 3.1.8" "thin 1.8.2"
  run types
  assert_output "console=bin/rails console
rake=bundle exec rake
web=bin/rails server -p \"\${PORT:-5000}\" -e \"\${RAILS_ENV:-production}\""
  lockfile "railties 4.2.11" "rack 1.6.13"
  run types
  assert_line 'web=bin/rails server -p "${PORT:-5000}" -e "${RAILS_ENV:-production}"'
  # rails3.rb:19, with and without thin
  lockfile "railties 3.2.22" "rack 1.4.7"
  run types
  assert_output 'console=bundle exec rails console
rake=bundle exec rake
web=bundle exec rails server -p "${PORT:-5000}"'
  lockfile "railties 3.2.22" "thin 1.5.1"
  run types
  assert_line 'web=bundle exec thin start -R config.ru -e "${RAILS_ENV:-production}" -p "${PORT:-5000}"'
  # rails2.rb:25: the rails gem, not railties
  lockfile "rails 2.3.18" "rack 1.1.6"
  run types
  assert_output 'console=bundle exec script/console
rake=bundle exec rake
web=bundle exec ruby script/server -p "${PORT:-5000}"'
  # rack.rb:16: any app locking rack, with and without thin
  lockfile "rack 3.1.8" "sinatra 4.1.1"
  run types
  assert_output 'console=bundle exec irb
rake=bundle exec rake
web=bundle exec rackup config.ru -p "${PORT:-5000}"'
  lockfile "rack 2.2.10" "thin 1.8.2"
  run types
  assert_line 'web=bundle exec thin start -R config.ru -e "${RACK_ENV:-production}" -p "${PORT:-5000}"'
  # ruby.rb:63: neither
  lockfile "sidekiq 7.3.9"
  run types
  assert_output 'console=bundle exec irb
rake=bundle exec rake'
}

@test "addons: what heroku/ruby's own release file asked for, as Ruby's to_yaml wrote it" {
  use_fixture rails-generic
  lockfile "railties 7.1.3" "pg 1.5.9"
  mkdir -p "$APP/tmp"
  # base.rb:103-106 writes build_release.to_yaml; ruby.rb:749-761 names
  # heroku-postgresql for a locked pg gem
  ruby -ryaml -e 'File.write(ARGV[0], {"addons" => ["heroku-postgresql"], "default_process_types" => {"rake" => "bundle exec rake"}}.to_yaml)' \
    "$APP/tmp/heroku-buildpack-release-step.yml"
  run parse_release
  assert_success
  run python3 -c 'import json,sys; d = json.loads(sys.argv[1]); assert d["addons"] == ["heroku-postgresql"], d' "$output"
  assert_success
  # HEROKU_SKIP_DATABASE_PROVISION (or no pg): heroku/ruby asks for nothing
  ruby -ryaml -e 'File.write(ARGV[0], {"addons" => [], "default_process_types" => {}}.to_yaml)' \
    "$APP/tmp/heroku-buildpack-release-step.yml"
  run parse_release
  run python3 -c 'import json,sys; d = json.loads(sys.argv[1]); assert d["addons"] == [], d' "$output"
  assert_success
  # a name that is not an add-on's is not passed on
  printf -- '---\naddons:\n- "$(touch x)"\n- heroku-redis\ndefault_process_types: {}\n' >"$APP/tmp/heroku-buildpack-release-step.yml"
  run parse_release
  run python3 -c 'import json,sys; d = json.loads(sys.argv[1]); assert d["addons"] == ["heroku-redis"], d' "$output"
  assert_success
}

@test "a Rack app without a Procfile keeps its web process: built, then started as a dyno, it serves" {
  mkdir -p "$APP"
  lockfile "rack 2.2.10" "puma 6.4.3"
  # a plain Rack app (real rackup and Puma serve it)
  printf 'run ->(env) { [200, {"content-type" => "text/plain"}, ["rack app on #{ENV["PORT"]}\\n"]] }\n' >"$APP/config.ru"
  compile_app
  assert_success
  assert_output --partial "no Procfile"
  run parse_release
  run python3 -c 'import json,sys; t = json.loads(sys.argv[1])["default_process_types"]; assert t["web"] == "bundle exec rackup config.ru -p \"${PORT:-5000}\"", t' "$output"
  assert_success
  # RACK_ENV as heroku/ruby's .profile.d/ruby.sh defaults it (rackup then binds
  # every interface, as a dyno must)
  mkdir -p "$APP/.profile.d"
  echo 'export RACK_ENV=${RACK_ENV:-production}' >"$APP/.profile.d/ruby.sh"
  start_dyno web
  wait_until 30 http_get "$DYNO_PORT"
  run http_get "$DYNO_PORT"
  assert_output "rack app on $DYNO_PORT"
  stop_dyno
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
