#!/usr/bin/env bats
# solodyno profile: the managed .profile block written by bin/compile, and what
# the dyno's processes see once Heroku (bin/local) sources it at start.

load test_helper
load neighbours

setup() { common_setup; }

teardown() {
  if [[ -n "${DYNO_LAUNCHER:-}" ]] && kill -0 "$DYNO_LAUNCHER" 2>/dev/null; then
    stop_dyno
  fi
}


start_and_wait() {
  start_dyno "$@"
  wait_until 20 stub_started "${WAIT_FOR:-puma}"
}

@test "compile writes the block into a new .profile; a second build changes nothing" {
  use_fixture mastodon
  compile_app
  assert_success
  assert_output --partial ".profile: added the solodyno block"
  assert_output --partial "runtime defaults: tuned at every dyno start"
  run cat "$APP/.profile"
  assert_line --index 0 --partial "# >>> solodyno: runtime defaults"
  assert_line --index 3 '  eval "$("$HOME/.solodyno/bin/solodyno" env --shell --start-env "$$")"'
  assert_line "# <<< solodyno <<<"
  # the facts solodyno env reads at dyno start are recorded
  run grep -x 'mastodon=true' "$APP/.solodyno/app-facts"
  assert_success
  cp "$APP/.profile" "$BATS_TEST_TMPDIR/first"
  compile_app
  assert_success
  assert_output --partial ".profile: the solodyno block is up to date"
  cmp "$APP/.profile" "$BATS_TEST_TMPDIR/first"
}

@test "the user's .profile lines before and after the block are kept byte for byte (LF and CRLF)" {
  use_fixture mastodon
  printf 'export A=1\r\n# CRLF user line\r\n' >"$APP/.profile"
  cp "$APP/.profile" "$BATS_TEST_TMPDIR/user"
  compile_app
  assert_success
  # the user's bytes, then our LF block
  run cmp -n "$(stat -c %s "$BATS_TEST_TMPDIR/user")" "$APP/.profile" "$BATS_TEST_TMPDIR/user"
  assert_success
  run bash -c "tail -c +$(($(stat -c %s "$BATS_TEST_TMPDIR/user") + 1)) '$APP/.profile' | grep -c \$'\\r'"
  assert_output 0
  # lines after the block survive a rebuild too
  printf 'export AFTER=1\r\n' >>"$APP/.profile"
  cp "$APP/.profile" "$BATS_TEST_TMPDIR/with-after"
  compile_app
  assert_success
  cmp "$APP/.profile" "$BATS_TEST_TMPDIR/with-after"
  # and the whole file still runs in bash
  run env -i HOME="$APP" bash -c 'cd "$HOME" && . ./.profile && echo "$MALLOC_ARENA_MAX $AFTER"'
  assert_success
  assert_output $'2 1\r'
}

@test "a .profile symlink leading out of the app is refused; one inside is followed" {
  use_fixture mastodon
  echo 'export OUTSIDE=1' >"$BATS_TEST_TMPDIR/outside-profile"
  ln -s "$BATS_TEST_TMPDIR/outside-profile" "$APP/.profile"
  compile_app
  assert_failure
  assert_output --partial ".profile: refusing to write it: it is a symlink leading outside the app directory"
  assert_equal "$(cat "$BATS_TEST_TMPDIR/outside-profile")" 'export OUTSIDE=1'

  use_fixture mastodon
  mkdir -p "$APP/config"
  echo 'export INSIDE=1' >"$APP/config/profile.sh"
  ln -s config/profile.sh "$APP/.profile"
  compile_app
  assert_success
  [[ -L "$APP/.profile" ]]
  run grep -c '# <<< solodyno <<<' "$APP/config/profile.sh"
  assert_output 1
}

@test "markers that do not form one block fail the build naming the file and line" {
  use_fixture mastodon
  printf 'export A=1\n# >>> solodyno: runtime defaults >>>\necho half a block\n' >"$APP/.profile"
  cp "$APP/.profile" "$BATS_TEST_TMPDIR/before"
  compile_app
  assert_failure
  assert_output --partial "/.profile line 2: the solodyno block starts here but has no end line"
  cmp "$APP/.profile" "$BATS_TEST_TMPDIR/before"
  use_fixture mastodon
  mkdir "$APP/.profile"
  compile_app
  assert_failure
  assert_output --partial ".profile: cannot read it"
}

@test "a 512 MB web dyno with RUN_WORKER=true: puma sees exactly the known-good values" {
  use_fixture mastodon
  config_var SOLODYNO_MEMORY_MB 512
  config_var RUN_WORKER true
  compile_app
  assert_success
  start_and_wait web
  assert_equal "$(stub_env puma WEB_CONCURRENCY)" 1
  assert_equal "$(stub_env puma WEB_CONCURRENCY_SET_BY)" solodyno
  assert_equal "$(stub_env puma MAX_THREADS)" 3
  assert_equal "$(stub_env puma DB_POOL)" 6
  assert_equal "$(stub_env puma SIDEKIQ_THREADS)" 1
  assert_equal "$(stub_env puma SIDEKIQ_CONCURRENCY)" 1
  assert_equal "$(stub_env puma MAGICK_MEMORY_LIMIT)" 268435456
  assert_equal "$(stub_env puma MAGICK_THREAD_LIMIT)" 1
  assert_equal "$(stub_env puma VIPS_CONCURRENCY)" 1
  assert_equal "$(stub_env puma MALLOC_ARENA_MAX)" 2
  assert_equal "$(stub_env puma SERVICE_TIMEOUT)" "<unset>"
  assert_equal "$(stub_env puma STREAMING_CLUSTER_NUM)" "<unset>"
  [[ "$(stub_env puma PATH)" == "$APP/.solodyno/bin:$BP_DIR/test/stubs/bin:"* ]]
  run http_get "$DYNO_PORT"
  assert_success
  stop_dyno
}

@test "the stamp's variables reach the app through the same block" {
  use_fixture mastodon
  config_var SOURCE_VERSION 0123456789abcdef0123456789abcdef01234567
  config_var SOURCE_TAG my-tag
  compile_app
  assert_success
  start_and_wait web
  assert_equal "$(stub_env puma SOURCE_VERSION)" 0123456789abcdef0123456789abcdef01234567
  assert_equal "$(stub_env puma MASTODON_VERSION_METADATA)" 0123456
  assert_equal "$(stub_env puma SOURCE_TAG)" my-tag
  stop_dyno
}

@test "Sidekiq on the web dyno sees the same values, and its -c comes from them" {
  use_fixture mastodon
  # a process type of our own, run as the web dyno, to watch Sidekiq's view
  # shellcheck disable=SC2016 # expanded by the dyno's shell
  printf 'sidekiqhere: bundle exec sidekiq -c ${SIDEKIQ_THREADS:-5}\n' >>"$APP/Procfile"
  config_var SOLODYNO_MEMORY_MB 512
  compile_app
  assert_success
  WAIT_FOR=sidekiq start_and_wait sidekiqhere --dyno web.1 -e RUN_WORKER=true
  run stub_argv sidekiq
  assert_line --index 1 -c
  assert_line --index 2 1
  assert_equal "$(stub_env sidekiq SIDEKIQ_CONCURRENCY)" 1
  assert_equal "$(stub_env sidekiq DB_POOL)" 6
  assert_equal "$(stub_env sidekiq MALLOC_ARENA_MAX)" 2
  stop_dyno
}

@test "memory from a fake cgroup tree given as a config var" {
  use_fixture mastodon
  mkdir -p "$BATS_TEST_TMPDIR/cg"
  echo $((1024 * 1024 * 1024)) >"$BATS_TEST_TMPDIR/cg/memory.max"
  config_var SOLODYNO_CGROUP_ROOT "$BATS_TEST_TMPDIR/cg"
  config_var SOLODYNO_CPUS 8
  compile_app
  assert_success
  start_and_wait web
  assert_equal "$(stub_env puma WEB_CONCURRENCY)" 2
  assert_equal "$(stub_env puma MAX_THREADS)" 4
  assert_equal "$(stub_env puma DB_POOL)" 8
  assert_equal "$(stub_env puma MAGICK_MEMORY_LIMIT)" 536870912
  stop_dyno
}

# A fake cgroup v1 tree of MB megabytes, the one file heroku/nodejs's script
# reads; solodyno reads the same tree through SOLODYNO_CGROUP_ROOT.
cgroup_v1_mb() {
  mkdir -p "$BATS_TEST_TMPDIR/cg/memory"
  echo $(($1 * 1024 * 1024)) >"$BATS_TEST_TMPDIR/cg/memory/memory.limit_in_bytes"
  config_var SOLODYNO_CGROUP_ROOT "$BATS_TEST_TMPDIR/cg"
}

@test "beside heroku/nodejs's .profile.d scripts: its WEB_CONCURRENCY is replaced, yours is not" {
  use_fixture mastodon
  cgroup_v1_mb 2048
  config_var SOLODYNO_CPUS 2
  neighbour_nodejs_classic "$BATS_TEST_TMPDIR/cg"
  compile_app
  assert_success
  # alone, the script would give 2048 / 512 = 4 workers, marked as its own
  run env -i HOME="$APP" bash -c 'cd "$HOME" && . .profile.d/WEB_CONCURRENCY.sh && echo "$WEB_CONCURRENCY $WEB_CONCURRENCY_SET_BY"'
  assert_output "4 heroku/nodejs"
  start_and_wait web -e RUN_WORKER=true -e LOG_CONCURRENCY=true
  assert_equal "$(stub_env puma WEB_CONCURRENCY)" 2
  assert_equal "$(stub_env puma WEB_CONCURRENCY_SET_BY)" solodyno
  assert_equal "$(stub_env puma WEB_MEMORY)" 512
  assert_equal "$(stub_env puma NODE_ENV)" production
  run grep '^solodyno: ' "$DYNO_OUT"
  assert_output --partial " WEB_CONCURRENCY=2 "
  assert_output --partial "(replacing heroku/nodejs's WEB_CONCURRENCY=4)"
  stop_dyno

  # a number set as a config var is yours: left alone, no marker
  rm -f "$STUB_LOG"/*
  config_var WEB_CONCURRENCY 3
  config_var MAX_THREADS 7
  start_and_wait web -e RUN_WORKER=true -e LOG_CONCURRENCY=true
  assert_equal "$(stub_env puma WEB_CONCURRENCY)" 3
  assert_equal "$(stub_env puma WEB_CONCURRENCY_SET_BY)" "<unset>"
  assert_equal "$(stub_env puma MAX_THREADS)" 7
  assert_equal "$(stub_env puma DB_POOL)" 14
  run grep '^solodyno: ' "$DYNO_OUT"
  assert_output --partial "(yours: WEB_CONCURRENCY MAX_THREADS)"
  stop_dyno
}

@test "heroku/ruby's SENSIBLE_DEFAULTS marks your WEB_CONCURRENCY as its own: your 3 stays, the marker goes" {
  use_fixture mastodon
  cgroup_v1_mb 1024
  config_var SOLODYNO_CPUS 2
  config_var SENSIBLE_DEFAULTS true
  neighbour_nodejs_classic "$BATS_TEST_TMPDIR/cg"
  neighbour_ruby_classic --sensible-defaults
  compile_app
  assert_success
  # heroku/ruby's WEB_CONCURRENCY.sh replaced heroku/nodejs's
  run grep -c 'ulimit -u' "$APP/.profile.d/WEB_CONCURRENCY.sh"
  assert_output 1
  dyno_process_limit 512 # a 1 GB dyno's, as heroku/ruby reads it
  config_var WEB_CONCURRENCY 3
  start_and_wait web -e RUN_WORKER=true
  assert_equal "$(stub_env puma WEB_CONCURRENCY)" 3
  assert_equal "$(stub_env puma WEB_CONCURRENCY_SET_BY)" "<unset>"
  assert_equal "$(stub_env puma HEROKU_RAM_LIMIT_MB)" 1024
  stop_dyno

  # without yours, heroku/ruby's 4 is a default like any other: ours replaces it
  rm "$ENV_DIR/WEB_CONCURRENCY" "$STUB_LOG"/*
  start_and_wait web -e RUN_WORKER=true
  assert_equal "$(stub_env puma WEB_CONCURRENCY)" 2
  assert_equal "$(stub_env puma WEB_CONCURRENCY_SET_BY)" solodyno
  stop_dyno
}

@test "heroku/ruby's MALLOC_ARENA_MAX and others are its defaults, not yours: the boot line and --explain say so" {
  use_fixture mastodon
  config_var SOLODYNO_MEMORY_MB 512
  neighbour_nodejs_classic "$BATS_TEST_TMPDIR/no-cgroup"
  neighbour_ruby_classic --pg
  compile_app
  assert_success
  start_and_wait web -e RUN_WORKER=true -e LOG_CONCURRENCY=true
  assert_equal "$(stub_env puma MALLOC_ARENA_MAX)" 2
  assert_equal "$(stub_env puma RAILS_ENV)" production
  # heroku/ruby's file of that name replaced heroku/nodejs's: no default from it
  assert_equal "$(stub_env puma WEB_CONCURRENCY)" 1
  assert_equal "$(stub_env puma WEB_MEMORY)" "<unset>"
  run grep '^solodyno: ' "$DYNO_OUT"
  assert_output --partial "(replacing another buildpack's MALLOC_ARENA_MAX=2)"
  refute_output --partial "yours"
  stop_dyno
  # and a one-off dyno's --explain, run where the block has been evaluated
  run "$BP_DIR/bin/local" run "$APP" 'solodyno env --explain' --env-dir "$ENV_DIR" --dyno web.1 \
    -e RUN_WORKER=true -e "PATH=$STUBS:/usr/local/bin:/usr/bin:/bin"
  assert_success
  assert_line --regexp '^MALLOC_ARENA_MAX +2 +tuned: '
  refute_line --regexp '^MALLOC_ARENA_MAX .*yours'
  # the release passes on heroku/ruby's request for a database
  run "$BP_DIR/bin/release" "$APP"
  assert_line --index 1 "addons:"
  assert_line --index 2 "- heroku-postgresql"
}

@test "a .bash_profile would keep Heroku's login bash from reading .profile: the build warns, and is right" {
  use_fixture mastodon
  config_var SOLODYNO_MEMORY_MB 512
  printf 'export FROM_BASH_PROFILE=1\n' >"$APP/.bash_profile"
  compile_app
  assert_success
  assert_output --partial "/.bash_profile: Heroku starts every dyno with a login bash, which reads .bash_profile and then skips .profile: the solodyno block will not run"
  # a dyno started as Heroku starts one: the block does not run, so not even
  # `solodyno run` is on PATH and the web process cannot start
  start_dyno web -e RUN_WORKER=true
  local status=0
  wait "$DYNO_LAUNCHER" || status=$?
  assert_equal "$status" 127
  run cat "$DYNO_OUT"
  assert_output --partial "solodyno: command not found"
  # the real bash, started as Heroku starts a dyno (bash -l -c), agrees
  # shellcheck disable=SC2016 # expanded by that bash
  run env -i HOME="$APP" PATH=/usr/bin:/bin bash -l -c 'cd "$HOME"; echo "${FROM_BASH_PROFILE:-no} ${MALLOC_ARENA_MAX:-unset}"'
  assert_output "1 unset"

  # .bash_login alone does the same; one that sources .profile is fine
  rm "$APP/.bash_profile"
  printf '# keeps .profile\n[ -f "$HOME/.profile" ] && . "$HOME/.profile"\n' >"$APP/.bash_login"
  compile_app
  assert_success
  refute_output --partial "skips .profile"
  assert_output --partial ".bash_login sources .profile, so the block runs"
  # shellcheck disable=SC2016 # expanded by that bash
  run env -i HOME="$APP" PATH=/usr/bin:/bin bash -l -c 'cd "$HOME"; echo "${MALLOC_ARENA_MAX:-unset}"'
  assert_output "2"
  rm -f "$STUB_LOG"/*
  start_and_wait web -e RUN_WORKER=true
  assert_equal "$(stub_env puma MALLOC_ARENA_MAX)" 2
  stop_dyno
}

@test "hostile config vars reach the app as they are and run nothing at boot" {
  use_fixture mastodon
  local pwned="$BATS_TEST_TMPDIR/pwned"
  config_var SIDEKIQ_CONCURRENCY "\$(touch $pwned)"
  config_var WEB_CONCURRENCY_SET_BY "'; touch $pwned; '"
  config_var MALLOC_ARENA_MAX "\`touch $pwned\`"
  config_var RUN_WORKER "true'\"; touch $pwned"
  compile_app
  assert_success
  start_and_wait web
  [[ ! -e "$pwned" ]]
  assert_equal "$(stub_env puma SIDEKIQ_CONCURRENCY)" "\$(touch $pwned)"
  assert_equal "$(stub_env puma MALLOC_ARENA_MAX)" "\`touch $pwned\`"
  assert_equal "$(stub_env puma WEB_CONCURRENCY)" 1
  assert_equal "$(stub_env puma WEB_CONCURRENCY_SET_BY)" solodyno
  assert_equal "$(stub_env puma SIDEKIQ_THREADS)" "<unset>"
  stop_dyno
  [[ ! -e "$pwned" ]]
}

@test "the boot log line appears with LOG_CONCURRENCY=true" {
  use_fixture mastodon
  config_var LOG_CONCURRENCY true
  config_var SOLODYNO_MEMORY_MB 512
  compile_app
  assert_success
  start_and_wait web -e RUN_WORKER=true
  run grep '^solodyno: ' "$DYNO_OUT"
  assert_output --partial "solodyno: 512 MB, "
  assert_output --partial "web dyno running Puma and Sidekiq: WEB_CONCURRENCY=1 MAX_THREADS=3"
  stop_dyno
}

@test "the block never ignores a signal, and the dyno still stops on SIGTERM" {
  use_fixture mastodon
  config_var SOLODYNO_MEMORY_MB 512
  compile_app
  assert_success
  local status_line='grep -E "^Sig(Ign|Blk):" /proc/self/status'
  run env -i HOME="$APP" DYNO=web.1 PATH=/usr/bin:/bin bash -c "cd \"\$HOME\" && $status_line"
  local baseline=$output
  run env -i HOME="$APP" DYNO=web.1 PATH=/usr/bin:/bin bash -c "cd \"\$HOME\" && . ./.profile && trap -p && $status_line"
  assert_success
  assert_output "$baseline"
  start_and_wait web
  stop_dyno
  run cat "$(compgen -G "$STUB_LOG/puma.*.events" | head -n 1)"
  assert_line SIGTERM
}

@test "the block copes with a strict .profile before it and a missing helper" {
  use_fixture mastodon
  printf 'set -euo pipefail\n' >"$APP/.profile"
  config_var SOLODYNO_MEMORY_MB 512
  compile_app
  assert_success
  run env -i HOME="$APP" DYNO=web.1 PATH=/usr/bin:/bin bash -c 'cd "$HOME" && . ./.profile && echo "ok $WEB_CONCURRENCY"'
  assert_success
  assert_output "ok 1"
  rm "$APP/.solodyno/bin/solodyno"
  run env -i HOME="$APP" DYNO=web.1 PATH=/usr/bin:/bin bash -c 'cd "$HOME" && . ./.profile && echo "ok ${WEB_CONCURRENCY:-unset}"'
  assert_success
  assert_output "ok unset"
}

@test "a one-off dyno (heroku run) sources .profile, yet solodyno env --explain still tells ours from yours" {
  use_fixture mastodon
  compile_app
  assert_success
  config_var MAX_THREADS 7
  run "$BP_DIR/bin/local" run "$APP" 'solodyno env --explain' --env-dir "$ENV_DIR" --dyno web.1 \
    -e RUN_WORKER=true -e SOLODYNO_MEMORY_MB=512 -e "PATH=$STUBS:/usr/local/bin:/usr/bin:/bin"
  assert_success
  assert_line --regexp '^DB_POOL +14 +tuned: '
  assert_line --regexp '^MAGICK_MEMORY_LIMIT +268435456 +tuned: '
  assert_line --regexp '^MAX_THREADS +7 +yours \(set, left alone\)$'
  refute_line --partial 'SOLODYNO_DEFAULTS'
}
