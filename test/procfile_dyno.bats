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

# ---- item: no member ends because a test of a variable was false ------------
#
# For each one-liner below and every combination of its variables, the
# processes that run on the laid-out dyno are exactly those the one-liner's own
# tests select (bash evaluates each test from the original line, in that
# combination), and every one of them keeps running until the dyno is stopped
# (by then each has received the SIGTERM of the stop, none ended on its own).

# expect_processes COMBO TABLE...: prints, one a line, the stub commands
# ("name argv...") whose bash test (TABLE: 'stub argv|test') holds with the
# variables of COMBO ("RUN_WORKER=true RUN_SCHEDULE=" ...).
expect_processes() {
  local combo=$1 entry
  shift
  for entry in "$@"; do
    # shellcheck disable=SC2086 # COMBO is a list of NAME=VALUE words
    if env -i $combo bash -c "${entry#*|}"; then printf '%s\n' "${entry%%|*}"; fi
  done | sort
}

# started_processes: "name argv..." of every stub that started, sorted.
started_processes() {
  local f
  for f in $(stub_records puma) $(stub_records sidekiq) $(stub_records node); do
    python3 -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))["argv"]))' "$f"
  done | sort
}

started_are() {
  [[ "$(started_processes)" == "$1" ]]
}

# stub_events_all WHAT: every stub that started has WHAT among its events.
stub_events_all() {
  local f
  for f in "$STUB_LOG"/*.events; do
    [[ -e "$f" ]] || continue
    grep -qx "$1" "$f" || return 1
  done
}

stub_events_none() {
  local f
  for f in "$STUB_LOG"/*.events; do
    [[ -e "$f" ]] || continue
    if grep -qx "$1" "$f"; then return 1; fi
  done
}

# every_combination FIXTURE VARS TABLE...: the check above for each
# combination of VARS (each unset or "true").
every_combination() {
  local fixture=$1 vars=$2 n bits i v combo want
  shift 2
  use_fixture mastodon
  cp "$FIXTURES/procfiles/$fixture/Procfile" "$APP/Procfile"
  if [[ -n "${EVERY_PREPARE:-}" ]]; then "$EVERY_PREPARE"; fi
  compile_app
  assert_success
  read -r -a names <<<"$vars"
  n=${#names[@]}
  for ((bits = 0; bits < (1 << n); bits++)); do
    combo="" dyno_args=()
    for ((i = 0; i < n; i++)); do
      v=""
      if (((bits >> i) & 1)); then v=true; dyno_args+=(-e "${names[i]}=true"); fi
      combo+="${names[i]}=$v "
    done
    want=$(expect_processes "$combo" "$@")
    rm -rf "$STUB_LOG"
    mkdir -p "$STUB_LOG"
    web_dyno -e SIDEKIQ_THREADS=2 "${dyno_args[@]}"
    # all of them start (the one-liners' own sleep is 2 s)
    wait_until 30 started_are "$want" || {
      echo "combination: $combo"
      echo "expected: $want"
      echo "started: $(started_processes)"
      cat "$DYNO_OUT"
      return 1
    }
    # and nothing ends: a member whose test was false would have ended by now
    sleep 3
    kill -0 "$DYNO_LAUNCHER" || { echo "combination: $combo: the dyno stopped"; cat "$DYNO_OUT"; return 1; }
    run started_processes
    assert_output "$want"
    stub_events_none "exit 0" || { echo "combination: $combo: a process ended"; cat "$DYNO_OUT"; return 1; }
    run grep -F "stopping the others" "$DYNO_OUT"
    assert_failure
    stop_dyno
    # every one was still there to be stopped by the dyno's SIGTERM
    stub_events_all SIGTERM || { echo "combination: $combo"; cat "$DYNO_OUT"; return 1; }
  done
}

@test "every combination: && lists ([ ], [[ ]], sleep &&) run what their tests select, and each keeps running" {
  every_combination mastodon-oneliner-and "RUN_STREAMING RUN_WORKER" \
    'puma -C config/puma.rb|[ "$RUN_STREAMING" != "true" ]' \
    'sidekiq -q default -q push -q pull -c 2|[ "$RUN_WORKER" == "true" ]' \
    'node ./streaming|[[ $RUN_STREAMING == true ]]'
}

@test "every combination: a RUN_SCHEDULE test nested in RUN_WORKER's, without an else" {
  every_combination mastodon-oneliner-nested "RUN_STREAMING RUN_WORKER RUN_SCHEDULE" \
    'puma -C config/puma.rb|[ "$RUN_STREAMING" != "true" ]' \
    'sidekiq -q default -q push -q mailers -c 2|[ "$RUN_WORKER" == "true" ]' \
    'sidekiq -q scheduler -c 2|[ "$RUN_WORKER" == "true" ] && [ "$RUN_SCHEDULE" == "true" ]' \
    'node ./streaming|[ "$RUN_STREAMING" == "true" ]'
}

# A Mastodon tree from before its streaming server (upstream's of January 2017):
# no streaming/ and a package.json without a start script.
before_streaming() {
  rm -rf "$APP/streaming"
  printf '{\n  "name": "mastodon",\n  "scripts": {\n    "storybook": "start-storybook -p 9001"\n  }\n}\n' \
    >"$APP/package.json"
}

@test "every combination: a Mastodon tree older than its streaming server runs Puma on every dyno, as its plain web line did" {
  EVERY_PREPARE=before_streaming every_combination mastodon-before-streaming "RUN_STREAMING RUN_WORKER" \
    'puma -C config/puma.rb|true' \
    'sidekiq -q default -q mailers -q push -c 2|[ "$RUN_WORKER" == "true" ]'
  # no streaming member that could only fail, and the build says why
  run grep -F 'streaming' "$APP/Procfile.web"
  assert_failure
  grep -q '^puma: bundle exec puma -C config/puma.rb$' "$APP/Procfile.web"
}

@test "every combination: test ... || CMD and \${VAR:-false} tests" {
  every_combination mastodon-oneliner-test-or "RUN_STREAMING RUN_WORKER" \
    'puma -C config/puma.rb|! test "$RUN_STREAMING" = "true"' \
    'node ./streaming|test "${RUN_STREAMING}" = true' \
    'sidekiq -c 2|[ "${RUN_WORKER:-false}" = "true" ]'
}

@test "streaming@RUN_STREAMING: npm start runs package.json's start script with the real npm and node, and keeps serving" {
  # NodeSource's nodejs has npm; Debian's own nodejs conflicts with its npm package
  command -v npm >/dev/null || skip "npm is not installed"
  use_fixture mastodon
  cp "$FIXTURES/procfiles/mastodon-npm-start/Procfile" "$FIXTURES/procfiles/mastodon-npm-start/package.json" "$APP/"
  # a streaming server that really serves (the fixture's own only prints)
  cat >"$APP/streaming/index.js" <<'JS'
const http = require('http');
http.createServer((req, res) => res.end(`streaming ${process.env.npm_lifecycle_event}\n`))
  .listen(+process.env.PORT, process.env.BIND || '127.0.0.1');
JS
  compile_app
  assert_success
  run grep '^streaming@' "$APP/Procfile.web"
  assert_output "streaming@RUN_STREAMING: npm start"
  # the real npm and node, not the stubs
  web_dyno -e RUN_STREAMING=true -e PATH=/usr/local/bin:/usr/bin:/bin
  wait_until 60 http_get "$DYNO_PORT"
  run http_get "$DYNO_PORT"
  assert_output "streaming start"
  sleep 2
  kill -0 "$DYNO_LAUNCHER"
  run http_get "$DYNO_PORT"
  assert_output "streaming start"
  stop_dyno
  run grep -F "stopping the others" "$DYNO_OUT"
  assert_failure
}

# ---- app facts on a started dyno ---------------------------------------------

@test "a fork's own timeout initializer: SERVICE_TIMEOUT and WAIT_TIMEOUT reach its processes, SIDEKIQ_CONCURRENCY does not" {
  build mastodon-fork-2018
  web_dyno -e RUN_WORKER=true
  wait_until 30 stub_started puma
  wait_until 30 stub_started sidekiq
  assert_equal "$(stub_env puma SERVICE_TIMEOUT)" 180
  assert_equal "$(stub_env puma WAIT_TIMEOUT)" 150
  # the fork's config/sidekiq.yml only names it in a comment: the -c carries the count
  assert_equal "$(stub_env sidekiq SIDEKIQ_CONCURRENCY)" "<unset>"
  threads=$(stub_env sidekiq SIDEKIQ_THREADS)
  run stub_argv sidekiq
  assert_output --partial $'-c\n'"$threads"
  stop_dyno
  # and --explain, on a one-off dyno of the same app, names the file and line
  run "$BP_DIR/bin/local" run "$APP" 'solodyno env --explain' --env-dir "$ENV_DIR" --dyno web.1 -e RUN_WORKER=true
  assert_success
  assert_line --regexp '^SERVICE_TIMEOUT +180 +the app.s code reads it \(config/initializers/timeout\.rb:4\)$'
  assert_line --regexp '^WAIT_TIMEOUT +150 +the app.s code reads it \(config/initializers/timeout\.rb:5\)$'
  assert_line "app      Mastodon 2.4.0rc2"
}

@test "STREAMING_CLUSTER_NUM reaches a streaming server that reads it, never one without a cluster (4.3)" {
  use_fixture mastodon-fork-2018
  printf 'web: if [ "$RUN_STREAMING" != "true" ]; then bundle exec puma -C config/puma.rb; else BIND=0.0.0.0 node ./streaming; fi\n' >"$APP/Procfile"
  build_app_in_place
  web_dyno -e RUN_STREAMING=true -e SOLODYNO_CPUS=2
  wait_until 30 stub_started node
  assert_equal "$(stub_env node STREAMING_CLUSTER_NUM)" 2
  stop_dyno
  run "$BP_DIR/bin/local" run "$APP" 'solodyno env --explain' --env-dir "$ENV_DIR" --dyno web.1 -e RUN_STREAMING=true \
    -e SOLODYNO_CPUS=2
  assert_line --regexp '^STREAMING_CLUSTER_NUM +2 +tuned: the streaming server clusters \(streaming/index\.js:12 reads it\)'

  rm -rf "$STUB_LOG"
  mkdir -p "$STUB_LOG"
  build mastodon
  web_dyno -e RUN_STREAMING=true -e SOLODYNO_CPUS=2
  wait_until 30 stub_started node
  assert_equal "$(stub_env node STREAMING_CLUSTER_NUM)" "<unset>"
  stop_dyno
}
