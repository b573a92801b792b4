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
  run grep -E '^(HOME|DYNO|PORT|GREETING|ORDER|OUTSIDE_VAR|OLDPWD)=' "$STUB_LOG/env.txt"
  assert_line "HOME=$APP"
  assert_line "DYNO=probe.1"
  assert_line "PORT=$DYNO_PORT"
  assert_line "GREETING=hello world"
  assert_line "ORDER=profile.d,profile"
  refute_line --partial "OUTSIDE_VAR"
  refute_line --partial "OLDPWD" # the dyno starts in the app; nobody cd'd there
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
  assert_output --partial "no process type 'nosuchtype' in $APP/Procfile or the release's default process types"
}

# A Rails app's shape for heroku/ruby: Gemfile.lock locks railties 7.1.
rails_app() {
  printf "source 'https://rubygems.org'\ngem 'rails', '~> 7.1'\n" >"$APP/Gemfile"
  printf 'GEM\n  remote: https://rubygems.org/\n  specs:\n    rails (7.1.3)\n      railties (= 7.1.3)\n    railties (7.1.3)\n    rake (13.1.0)\n\nPLATFORMS\n  x86_64-linux\n\nDEPENDENCIES\n  rails (~> 7.1)\n\nBUNDLED WITH\n   2.5.6\n' >"$APP/Gemfile.lock"
  mkdir -p "$APP/bin"
  # bin/rails, as Rails generates it, stands in: it says how it was called
  printf '#!/bin/sh\necho "bin/rails $*"\n' >"$APP/bin/rails"
  chmod +x "$APP/bin/rails"
}

@test "process types resolve as on Heroku: the Procfile, then the release's defaults; heroku run's first word" {
  rails_app
  add_process say 'echo said'
  compile_app
  assert_success
  # console is no Procfile type: the release names it (heroku/ruby's, for Rails)
  run "$BP_DIR/bin/local" start "$APP" console --port "$(free_port)"
  assert_success
  assert_output --partial "bin/rails console"
  run "$BP_DIR/bin/local" run "$APP" console
  assert_success
  assert_output --partial "bin/rails console"
  refute_output --partial "command not found"
  # the rest of the command follows the type's command, as with heroku run rake db:migrate
  run "$BP_DIR/bin/local" run "$APP" 'rake db:migrate' -e "PATH=$STUBS:/usr/bin:/bin" -e "STUB_LOG=$STUB_LOG"
  assert_success
  run stub_argv rake
  assert_line --index 1 "db:migrate"
  run "$BP_DIR/bin/local" run "$APP" 'say hello'
  assert_output --partial "said hello"
  # a command that names no type runs as it is
  run "$BP_DIR/bin/local" run "$APP" 'echo plain'
  assert_output --partial "plain"
}

@test "the grace is wall-clock seconds from SIGTERM, however long each poll takes" {
  # Traps SIGTERM (so it lives on) and notes when it came.
  add_process stubborn "trap 'date +%s.%N >\"\$STUB_LOG/term\"' TERM; while :; do sleep 0.$S1; done"
  compile_app
  start_dyno stubborn --grace 3
  wait_until 10 pgrep -f "sleep 0.$S1" >/dev/null
  stop_dyno
  local ended
  ended=$(date +%s.%N)
  [ "$DYNO_STATUS" -eq 137 ]
  run cat "$DYNO_OUT"
  assert_output --partial "processes left after 3s, sending SIGKILL"
  # SIGKILL no sooner than the grace after SIGTERM, and not a multiple of it
  # later: counting 30 polls of a /proc scan each as 3 s took 10 s here
  run python3 -c 'import sys; t = float(sys.argv[2]) - float(open(sys.argv[1]).read()); print(round(t, 1)); sys.exit(0 if 3 <= t < 9 else 1)' "$STUB_LOG/term" "$ended"
  assert_success
}

@test "a release dyno's boot line says it is one" {
  add_process release 'echo migrating'
  compile_app
  run "$BP_DIR/bin/local" start "$APP" release -e LOG_CONCURRENCY=true -e SOLODYNO_MEMORY_MB=512
  assert_success
  assert_output --partial "solodyno: 512 MB, "
  assert_output --partial " CPUs, release phase dyno: "
  assert_output --partial "migrating"
}
