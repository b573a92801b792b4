#!/usr/bin/env bats
# solodyno env --start-env: who set a variable. Yours is what the dyno started
# with; what was exported after the start is another buildpack's default. Each
# test starts a shell the way a dyno does (env -i with only the "config vars"),
# lets it export what a .profile.d script or the launcher would, then runs
# solodyno env as the .profile block does: --start-env "$$".

load test_helper

setup() {
  common_setup
  SOLODYNO="$SOLODYNO_BUILD_DIR/solodyno"
  mkdir -p "$APP/.solodyno"
  printf 'mastodon=true\nmastodon_version=4.3.2\nreads=MAX_THREADS\n' >"$APP/.solodyno/app-facts"
}

# dyno 'SCRIPT' [NAME=VALUE]...: bash started with only NAME=VALUE (plus a
# 512 MB web dyno running Sidekiq), which runs SCRIPT (what buildpacks export
# after the start) and then, inside $(...) as the .profile block does,
# `solodyno env $ENV_ARGS --start-env $$` (ENV_ARGS: --shell unless given).
# Run as bash -c's last command, solodyno would replace the shell and $$
# would be itself. stdout and stderr kept apart.
dyno() {
  local script=$1
  shift
  run --separate-stderr env -i -C "$APP" PATH=/usr/bin:/bin DYNO=web.1 RUN_WORKER=true \
    SOLODYNO_MEMORY_MB=512 SOLODYNO_CPUS=2 SOLODYNO="$SOLODYNO" ENV_ARGS="${ENV_ARGS:---shell}" \
    ASAN_OPTIONS="$ASAN_OPTIONS" UBSAN_OPTIONS="$UBSAN_OPTIONS" "$@" \
    bash -c "$script"'
      # shellcheck disable=SC2086 # ENV_ARGS are words
      out=$("$SOLODYNO" env $ENV_ARGS --start-env "$$") || exit
      printf "%s\n" "$out"'
}

@test "a value the dyno started with is yours, even with another buildpack's marker; the marker is cleared" {
  # heroku/ruby's SENSIBLE_DEFAULTS: keeps your value, marks it as its own
  dyno 'export WEB_CONCURRENCY=${WEB_CONCURRENCY:-4}; export WEB_CONCURRENCY_SET_BY=heroku/ruby' \
    WEB_CONCURRENCY=3
  assert_success
  refute_line --partial "export WEB_CONCURRENCY="
  assert_line "unset WEB_CONCURRENCY_SET_BY"
  # shellcheck disable=SC2016 # expanded by that bash
  run env -i WEB_CONCURRENCY=3 WEB_CONCURRENCY_SET_BY=heroku/ruby bash -c 'eval "$1"; echo "$WEB_CONCURRENCY ${WEB_CONCURRENCY_SET_BY-unset}"' _ "$output"
  assert_output "3 unset"
  # a marker you set yourself, as a config var, stays
  dyno 'true' WEB_CONCURRENCY=3 WEB_CONCURRENCY_SET_BY=me
  assert_success
  refute_line --partial "WEB_CONCURRENCY_SET_BY"
}

@test "a value exported after the start is another buildpack's default, marker or not" {
  # heroku/ruby's ruby.sh (no marker) and heroku/nodejs's CNB web_env (no marker)
  ENV_ARGS=--explain dyno 'export MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-2}; export WEB_CONCURRENCY=4; export MAX_THREADS=9'
  assert_success
  assert_line --regexp "^WEB_CONCURRENCY +1 +tuned: .*; replaces another buildpack's 4$"
  assert_line --regexp "^MAX_THREADS +3 +tuned: .*; replaces another buildpack's 9$"
  assert_line --regexp "^MALLOC_ARENA_MAX +2 +tuned: .*; replaces another buildpack's 2$"
  assert_line --regexp "^yours +what the dyno started with \(the environment process [0-9]+ was started with\)"
  ENV_ARGS=--shell dyno 'export WEB_CONCURRENCY=4 WEB_CONCURRENCY_SET_BY=heroku/nodejs'
  assert_line "export WEB_CONCURRENCY='1'"
  assert_line "export WEB_CONCURRENCY_SET_BY='solodyno'"
  # the boot line names them
  dyno 'export WEB_CONCURRENCY=4 WEB_CONCURRENCY_SET_BY=heroku/nodejs MALLOC_ARENA_MAX=2' LOG_CONCURRENCY=true
  assert_success
  [[ "$stderr" == *" (replacing heroku/nodejs's WEB_CONCURRENCY=4, another buildpack's MALLOC_ARENA_MAX=2)" ]]
  [[ "$stderr" != *"yours"* ]]
}

@test "your value another buildpack changed or unset is put back" {
  dyno 'export WEB_CONCURRENCY=4 WEB_CONCURRENCY_SET_BY=heroku/nodejs; unset MAX_THREADS' \
    WEB_CONCURRENCY=3 MAX_THREADS=7 LOG_CONCURRENCY=true
  assert_success
  assert_line "export WEB_CONCURRENCY='3'"
  assert_line "export MAX_THREADS='7'"
  assert_line "unset WEB_CONCURRENCY_SET_BY"
  assert_line "export DB_POOL='14'"
  refute_line --regexp "^export SOLODYNO_DEFAULTS=.*(WEB_CONCURRENCY|MAX_THREADS)"
  [[ "$stderr" == *"(yours: WEB_CONCURRENCY=3 put back MAX_THREADS=7 put back)" ]]
  ENV_ARGS=--explain dyno 'export WEB_CONCURRENCY=4 WEB_CONCURRENCY_SET_BY=heroku/nodejs; unset MAX_THREADS' \
    WEB_CONCURRENCY=3 MAX_THREADS=7
  assert_line --regexp "^WEB_CONCURRENCY +3 +yours \(set, put back: heroku/nodejs's 4 had replaced it\)$"
  assert_line --regexp "^MAX_THREADS +7 +yours \(set, put back: it had been unset after the dyno started\)$"
  # your SIDEKIQ_THREADS is put back; SIDEKIQ_CONCURRENCY, the same setting,
  # is exported only where the app reads it (issue 12), and this one does not
  dyno 'export SIDEKIQ_THREADS=9' SIDEKIQ_THREADS=2
  assert_line "export SIDEKIQ_THREADS='2'"
  refute_line --partial "SIDEKIQ_CONCURRENCY="
}

@test "empty at the start is not set; an earlier eval's values are ours, also when inherited at the start" {
  dyno 'true' WEB_CONCURRENCY=
  assert_line "export WEB_CONCURRENCY='1'"
  # a shell started by one that had evaluated the block (heroku run bash,
  # then . .profile again): the start environment holds our values and their
  # list, so they are recomputed, not taken for yours
  # shellcheck disable=SC2016 # expanded by the dyno's shells
  run --separate-stderr env -i -C "$APP" PATH=/usr/bin:/bin DYNO=web.1 SOLODYNO_MEMORY_MB=512 \
    MAX_THREADS=7 SOLODYNO="$SOLODYNO" bash -c '
      eval "$("$SOLODYNO" env --shell --start-env $$)"
      exec bash -c '\''export MALLOC_ARENA_MAX=5; out=$("$SOLODYNO" env --shell --start-env $$); echo "$out"'\'
  assert_success
  assert_line "export WEB_CONCURRENCY='1'"
  assert_line "export MALLOC_ARENA_MAX='2'"
  refute_line --partial "export MAX_THREADS="
  assert_line --regexp "^export SOLODYNO_DEFAULTS='WEB_CONCURRENCY,"
}

@test "without --start-env, or when it cannot be read, the NAME_SET_BY marker decides, and --explain says so" {
  run --separate-stderr env -i -C "$APP" PATH=/usr/bin:/bin DYNO=web.1 SOLODYNO_MEMORY_MB=512 \
    WEB_CONCURRENCY=3 WEB_CONCURRENCY_SET_BY=heroku/ruby MALLOC_ARENA_MAX=2 "$SOLODYNO" env --explain
  assert_success
  assert_line --regexp "^WEB_CONCURRENCY +1 +tuned: .*; replaces heroku/ruby's 3$"
  assert_line --regexp '^MALLOC_ARENA_MAX +2 +yours \(set, left alone\)$'
  assert_line --partial "yours    set and not marked NAME_SET_BY (no --start-env"
  # a process that is gone: a warning at boot, and the marker rule
  run --separate-stderr env -i -C "$APP" PATH=/usr/bin:/bin DYNO=web.1 SOLODYNO_MEMORY_MB=512 \
    MALLOC_ARENA_MAX=2 "$SOLODYNO" env --shell --start-env 4194304
  assert_success
  refute_line --partial "MALLOC_ARENA_MAX"
  [[ "$stderr" == *"warning: --start-env 4194304: cannot read the environment that process started with"* ]]
  run --separate-stderr env -i -C "$APP" PATH=/usr/bin:/bin "$SOLODYNO" env --explain --start-env 12x
  assert_success
  assert_line --partial "(the environment process 12x was started with cannot be read: not a process id)"
}

@test "--exec-d: the same rule under a launcher; a cleared marker is an empty string in TOML" {
  # The launcher starts with the platform's values and runs exec.d programs as
  # its children with what buildpacks added since (lifecycle launch/exec_d.go).
  run env -i -C "$APP" PATH=/usr/bin:/bin DYNO=web.1 SOLODYNO_MEMORY_MB=512 WEB_CONCURRENCY=3 \
    SOLODYNO="$SOLODYNO" python3 -c '
import os, subprocess, sys, tomllib
env = dict(os.environ, WEB_CONCURRENCY_SET_BY="heroku/ruby", MALLOC_ARENA_MAX="2", MAX_THREADS="9")
r, w = os.pipe()
os.dup2(w, 3)
p = subprocess.Popen([os.environ["SOLODYNO"], "env", "--exec-d", "--start-env", str(os.getpid())],
                     env=env, pass_fds=(3,))
os.close(3); os.close(w)
out = tomllib.loads(os.read(r, 1 << 20).decode())
assert p.wait() == 0
print(out)
assert "WEB_CONCURRENCY" not in out, out
assert out["WEB_CONCURRENCY_SET_BY"] == "", out
assert out["MAX_THREADS"] == "3" and out["MALLOC_ARENA_MAX"] == "2", out
'
  assert_success
}
