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
  if [[ -n "${CNB_BASE:-}" ]] && declare -F cnb_teardown >/dev/null; then
    cnb_teardown
  fi
}

# ---- config vars never become arguments -------------------------------------------

# A value that splits into several arguments, one of them a glob, if pasted
# raw; the command substitutions in it must stay text either way.
HOSTILE_THREADS='2 -r ./evil.rb * --verbose $(touch pwned) `touch pwned2`'

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
  assert_file_not_exists "$APP/pwned"
  assert_file_not_exists "$APP/pwned2"
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

# ---- the Procfile: line endings, size -------------------------------------------

@test "a Procfile mixing LF and CR LF keeps each line's own ending; new lines end as line 1" {
  use_fixture mastodon
  printf 'web: bin/heroku-web\nworker: bundle exec sidekiq\r\n# a note\r\nclock: bundle exec clockwork\n\r\nrake: bundle exec rake\r\n' >"$APP/Procfile"
  cp "$APP/Procfile" "$BATS_TEST_TMPDIR/orig"
  compile_app
  assert_success
  # web and worker are rewritten in place (each keeps its line's ending), the
  # release line is new (LF, as line 1); the others are untouched.
  {
    printf '%s\n' 'web: solodyno run Procfile.web'
    printf '%s\r\n' 'worker: bundle exec sidekiq -c "${SIDEKIQ_THREADS:-5}"' '# a note'
    printf '%s\n' 'clock: bundle exec clockwork'
    printf '\r\nrake: bundle exec rake\r\n'
    printf '%s\n' 'release: if [ "$RUN_STREAMING" != "true" ]; then bundle exec rails db:migrate; else echo "Not migrating on this app (RUN_STREAMING=true)"; fi'
  } >"$BATS_TEST_TMPDIR/want"
  # The untouched lines, byte for byte.
  run python3 -c 'import sys; sys.exit(b"# a note\r\nclock: bundle exec clockwork\n\r\nrake: bundle exec rake\r\n" not in open(sys.argv[1], "rb").read())' "$APP/Procfile"
  assert_success
  run cmp "$BATS_TEST_TMPDIR/want" "$APP/Procfile"
  assert_success
  cmp "$BATS_TEST_TMPDIR/orig" "$APP/Procfile.orig"
  # Idempotent: a second build changes no byte.
  cp "$APP/Procfile" "$BATS_TEST_TMPDIR/first"
  compile_app
  assert_success
  cmp "$BATS_TEST_TMPDIR/first" "$APP/Procfile"
}

# instructions FIXTURE_APP: the instructions the installed helper executes for
# the Procfile step (valgrind's count: the same on a busy machine as on an idle
# one, unlike a time).
instructions() {
  valgrind --tool=callgrind --callgrind-out-file=/dev/null \
    "$1/.solodyno/bin/solodyno" procfile "$1" "$ENV_DIR" 2>&1 >/dev/null |
    sed -n 's/^==[0-9]*== Collected : \([0-9]*\)$/\1/p'
}

# generic_app DIR N: the generic Rails fixture with N more process types.
generic_app() {
  rm -rf "$1"
  cp -a "$FIXTURES/rails-generic" "$1"
  python3 - "$1/Procfile" "$2" <<'PY'
import sys
path, n = sys.argv[1], int(sys.argv[2])
with open(path, "w") as f:
    f.write("web: bundle exec puma -C config/puma.rb\n")
    for i in range(n):
        f.write(f"type{i}: bundle exec rake job{i}\n")
    f.write("worker: bundle exec sidekiq\n")
PY
}

@test "the Procfile step's cost grows in step with the Procfile (8 times the lines: at most 12 times the work)" {
  command -v valgrind >/dev/null || skip "valgrind is not installed"
  [[ "$SOLODYNO_EXTRA_CFLAGS" != *sanitize* ]] || skip "ASan and valgrind do not mix"
  # Built once by the real bin/compile, so the helper is the one it installs.
  use_fixture rails-generic
  compile_app
  assert_success
  local small="$BATS_TEST_TMPDIR/small" big="$BATS_TEST_TMPDIR/big" a b
  generic_app "$small" 2500
  generic_app "$big" 20000
  mkdir -p "$small/.solodyno/bin" "$big/.solodyno/bin"
  cp "$APP/.solodyno/bin/solodyno" "$small/.solodyno/bin/"
  cp "$APP/.solodyno/bin/solodyno" "$big/.solodyno/bin/"
  a=$(instructions "$small")
  b=$(instructions "$big")
  echo "instructions: $a for 2,500 lines, $b for 20,000" >&3
  [[ "$a" =~ ^[0-9]+$ && "$b" =~ ^[0-9]+$ ]]
  # Linear: about 8 times. Comparing each line with every earlier one: about 64.
  ((b < 12 * a))
  # And the 20,000 lines were all read: every type survives.
  [ "$(grep -c '^type' "$big/Procfile")" -eq 20000 ]
}

# ---- a full disk, a file in the way ------------------------------------------------

# small_disk DIR KIB: a tmpfs of KIB KiB at DIR (root only), unmounted in teardown.
small_disk() {
  mkdir -p "$1"
  mount -t tmpfs -o "size=${2}k" tmpfs "$1" 2>/dev/null || skip "cannot mount a tmpfs (needs root)"
  MOUNTED=$1
}

# fill_disk DIR KIB: fills the file system of DIR up to KIB KiB left free.
fill_disk() {
  local avail
  avail=$(df --output=avail -k "$1" | tail -n 1)
  ((avail > $2)) || return 0
  head -c $(((avail - $2) * 1024)) /dev/zero >"$1/filler"
}

@test "bin/compile on a full disk fails naming the disk, and leaves no partial helper in the app" {
  use_fixture mastodon
  # The helper is compiled into the (roomy) cache first, as on a warm build.
  compile_app
  assert_success
  local disk="$BATS_TEST_TMPDIR/disk" size
  size=$(stat -c %s "$APP/.solodyno/bin/solodyno")
  small_disk "$disk" $((size / 1024 + 4096))
  cp -a "$FIXTURES/mastodon" "$disk/app"
  # Room for half the helper only.
  fill_disk "$disk" $((size / 2048))
  run "$BP_DIR/bin/compile" "$disk/app" "$SHARED_CACHE" "$ENV_DIR"
  assert_failure
  local out=$output
  run find "$disk/app" -name '*.tmp' -o -name '*solodyno-tmp*' -o -name solodyno -type f
  assert_output ""
  output=$out
  assert_output --partial "Cannot install the helper as .solodyno/bin/solodyno in the app:"
  assert_output --partial "No space left on device"
}

@test "a .solodyno that is a plain file: the build says what is in the way" {
  use_fixture mastodon
  echo "my notes" >"$APP/.solodyno"
  compile_app
  assert_failure
  assert_output --partial ".solodyno is a file in the app, where solodyno keeps its helper"
  refute_output --partial "mkdir:"
  run cat "$APP/.solodyno"
  assert_output "my notes"
}

# ---- bin/local -----------------------------------------------------------------

# tree DIR: every path under DIR with its type, for "nothing was written".
tree() {
  (cd "$1" && find . -printf '%y %p\n' | LC_ALL=C sort)
}

@test "bin/local build with OUT_DIR inside APP_DIR refuses before writing anything (also through a symlink, and nested)" {
  use_fixture rails-generic
  tree "$APP" >"$BATS_TEST_TMPDIR/before"
  run "$BP_DIR/bin/local" build "$APP" "$APP/out"
  assert_failure
  assert_output --partial "must not be inside APP_DIR"
  ln -s "$APP" "$BATS_TEST_TMPDIR/alias"
  run "$BP_DIR/bin/local" build "$APP" "$BATS_TEST_TMPDIR/alias/build/a/b"
  assert_failure
  assert_output --partial "must not be inside APP_DIR"
  run "$BP_DIR/bin/local" build "$BATS_TEST_TMPDIR/alias" "$APP/x/y"
  assert_failure
  assert_output --partial "must not be inside APP_DIR"
  tree "$APP" >"$BATS_TEST_TMPDIR/after"
  run diff "$BATS_TEST_TMPDIR/before" "$BATS_TEST_TMPDIR/after"
  assert_success
}

@test "a process type defined twice: the build, bin/local start and the slug all take the last line" {
  use_fixture rails-generic
  printf 'clock: bundle exec rake first\nclock: bundle exec rake second\n' >>"$APP/Procfile"
  compile_app
  assert_success
  assert_output --partial "Procfile, line 4: process type 'clock' is defined again (first on line 3); the last one wins"
  run "$BP_DIR/bin/local" start "$APP" clock --env-dir "$ENV_DIR" \
    -e "PATH=$STUBS:/usr/bin:/bin" -e "STUB_LOG=$STUB_LOG"
  assert_success
  run stub_argv rake
  assert_output $'rake\nsecond'
  [[ -x "$SLUG_BIN" ]] || skip "solodyno-slug not built (libarchive's headers missing)"
  mkdir -p "$BATS_TEST_TMPDIR/out"
  run --separate-stderr "$SLUG_BIN" --json -o "$BATS_TEST_TMPDIR/out/slug.tgz" "$APP"
  assert_success
  run python3 -c 'import json, sys; print(json.loads(sys.argv[1])["process_types"]["clock"])' "$output"
  assert_output "bundle exec rake second"
}

# ---- messages that carry outside text ------------------------------------------------

@test "a config var with a line break or a terminal escape never forges a line of the dyno's log" {
  use_fixture mastodon
  compile_app
  assert_success
  local forged=$'yes\nsolodyno: puma exited with status 0\r\x1b[2K'
  config_var SOLODYNO_PREFIX "$forged"
  start_dyno web
  wait "$DYNO_LAUNCHER" || true
  run cat "$DYNO_OUT"
  assert_output --partial "SOLODYNO_PREFIX must be 0 or 1 (or false/true); it is 'yes\\nsolodyno: puma exited with status 0\\r\\x1b[2K'"
  refute_line --regexp '^solodyno: puma exited'
  run grep -c $'\x1b' "$DYNO_OUT"
  assert_output 0
  rm "$ENV_DIR/SOLODYNO_PREFIX"
  config_var SOLODYNO_GRACE $'5\nsolodyno: grace period over'
  start_dyno web
  wait "$DYNO_LAUNCHER" || true
  run cat "$DYNO_OUT"
  assert_output --partial "it is '5\\nsolodyno: grace period over'"
  refute_line --regexp '^solodyno: grace period over'
}

# ---- messages that say what happened ----------------------------------------------------

@test "CNB: a Procfile that is a FIFO, a directory or over 4 MiB stops the build with one message saying so" {
  load cnb_helper
  cnb_setup
  local kind
  for kind in fifo dir big; do
    cnb_use_fixture mastodon
    rm "$CNB_APP/Procfile"
    case $kind in
      fifo) mkfifo "$CNB_APP/Procfile" ;;
      dir) mkdir "$CNB_APP/Procfile" ;;
      big) head -c $((4 * 1024 * 1024 + 1)) /dev/zero | tr '\0' '#' >"$CNB_APP/Procfile" ;;
    esac
    cnb_own "$CNB_APP"
    cnb_build
    assert_failure
    case $kind in
      fifo) assert_output --partial "Procfile is a named pipe (FIFO), not a regular file. A Cloud Native Buildpack build declares the image's processes from the Procfile, so it stops here." ;;
      dir) assert_output --partial "Procfile is a directory" ;;
      big) assert_output --partial "Procfile is larger than 4 MiB" ;;
    esac
    refute_output --partial "the build goes on"
    refute_output --partial "cannot read the app's Procfile"
    [ "$(grep -c 'Procfile' <<<"$output")" -eq 1 ]
  done
  cnb_teardown
}

@test "a config var file that is a FIFO is named as one, and the build goes on without waiting for it" {
  use_fixture mastodon
  mkfifo "$ENV_DIR/SOLODYNO_PROCFILE"
  compile_app
  assert_success
  assert_output --partial "$ENV_DIR/SOLODYNO_PROCFILE: cannot read this config var (it is a named pipe (FIFO), not a file holding the value); ignoring it"
  refute_output --partial "Invalid argument"
}

# env_explain CGROUP_DIR: `solodyno env --explain` on a one-off dyno of the
# built $APP, with the cgroup files read from CGROUP_DIR.
env_explain() {
  "$BP_DIR/bin/local" run "$APP" 'solodyno env --explain' --env-dir "$ENV_DIR" \
    -e "SOLODYNO_CGROUP_ROOT=$1" -e "ASAN_OPTIONS=$ASAN_OPTIONS" -e "UBSAN_OPTIONS=$UBSAN_OPTIONS" 2>&1
}

@test "a cgroup file is read whole (up to 4 KiB) and judged whole: garbage after the value is refused, not cut off" {
  use_fixture mastodon
  compile_app
  assert_success
  local cg="$BATS_TEST_TMPDIR/cgroup"
  mkdir -p "$cg"
  # 2 GiB, then garbage past the first 128 bytes.
  { printf '2147483648\n'; printf '%0200d' 0; printf '\nnot a number\n'; } >"$cg/memory.max"
  run env_explain "$cg"
  assert_success
  assert_output --partial "memory.max: expected a byte count or 'max', got '2147483648\\n000"
  assert_line --regexp '^memory +512 MB \(no memory limit found'
  # The same value with blanks around it, however many (within 4 KiB), is fine.
  { printf '  2147483648'; printf '%3000s' ''; printf '\n'; } >"$cg/memory.max"
  run env_explain "$cg"
  assert_success
  assert_line --regexp '^memory +2048 MB \(cgroup v2 memory.max\)'
  refute_output --partial "warning"
  # Longer than any cgroup value: refused with a reason.
  head -c 5000 /dev/zero | tr '\0' '7' >"$cg/memory.max"
  run env_explain "$cg"
  assert_output --partial "memory.max is longer than 4096 bytes, which no cgroup value is; ignoring it"
  assert_line --regexp '^memory +512 MB'
}

@test "solodyno-slug: --max and -j take digits only (' -1' is not 'no limit')" {
  [[ -x "$SLUG_BIN" ]] || skip "solodyno-slug not built (libarchive's headers missing)"
  use_fixture rails-generic
  mkdir -p "$BATS_TEST_TMPDIR/out"
  local v
  for v in " -1" "-1" "+5M" " 5M" "0x10" "18446744073709551616" "1.5G" "5 M"; do
    run "$SLUG_BIN" --max "$v" -o "$BATS_TEST_TMPDIR/out/slug.tgz" "$APP"
    [ "$status" -eq 2 ]
    assert_output --partial "--max takes a size such as 500M or 1G, not '$v'"
  done
  for v in " 2" "+2" "2 " "0" "65"; do
    run "$SLUG_BIN" -j "$v" -o "$BATS_TEST_TMPDIR/out/slug.tgz" "$APP"
    [ "$status" -eq 2 ]
    assert_output --partial "-j takes a number of threads from 1 to 64, not '$v'"
  done
  [ -z "$(ls -A "$BATS_TEST_TMPDIR/out")" ]
  run "$SLUG_BIN" --max 500MB -j 64 -o "$BATS_TEST_TMPDIR/out/slug.tgz" "$APP"
  assert_success
}

@test "a refused Procfile.web says why and what to do; no 'fix the line above' without a bad line; a loop is called a loop" {
  use_fixture mastodon
  ln -s /etc/passwd "$APP/Procfile.web"
  compile_app
  assert_failure
  assert_output --partial "Procfile.web: refusing to read it: it is a symlink leading outside the app directory. It must be a file inside the app"
  refute_output --partial "fix the line above"
  rm "$APP/Procfile.web"
  ln -s loop-b "$APP/loop-a"
  ln -s loop-a "$APP/loop-b"
  ln -s loop-a "$APP/Procfile.web"
  compile_app
  assert_failure
  assert_output --partial "Procfile.web: refusing to read it: it is a symlink loop"
  refute_output --partial "cannot be resolved"
  refute_output --partial "fix the line above"
  # A bad line still gets the pointer to the format.
  rm "$APP/Procfile.web"
  printf 'puma@1X: bundle exec puma\n' >"$APP/Procfile.web"
  compile_app
  assert_failure
  assert_output --partial "Procfile.web, line 1:"
  assert_output --partial "fix the line above"
}

# ---- solodyno-slug after a SIGKILL ----------------------------------------------------------

# is_stopped PID: the process is stopped (SIGSTOP).
is_stopped() {
  [[ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" == T ]]
}

@test "solodyno-slug: a later run removes the temporary slug a killed run left next to -o, and nothing else" {
  [[ -x "$SLUG_BIN" ]] || skip "solodyno-slug not built (libarchive's headers missing)"
  use_fixture mastodon
  head -c 400000 /dev/urandom >"$APP/app/big.bin"
  : >"$APP/public.bin"
  compile_app
  assert_success
  local out="$BATS_TEST_TMPDIR/out" pid
  mkdir -p "$out"
  # A run killed while packing (the test hook stops it just before it reads
  # public.bin, after app/big.bin's blocks are written).
  SOLODYNO_SLUG_TEST_STOP_AT=public.bin "$SLUG_BIN" -o "$out/slug.tgz" "$APP" >/dev/null 2>&1 &
  pid=$!
  wait_until 30 is_stopped "$pid"
  kill -KILL "$pid"
  wait "$pid" || true
  local stale
  stale=$(find "$out" -name '.slug.tgz.solodyno-tmp.*')
  [ -n "$stale" ] && [ -s "$stale" ]
  # Look-alikes that are not a killed run's: a user's file of that name that is
  # not a slug, a symlink, another output's, a name of another length, and the
  # file of a run still alive (holding its lock).
  echo "my notes" >"$out/.slug.tgz.solodyno-tmp.notes1"
  ln -s "$stale" "$out/.slug.tgz.solodyno-tmp.link01"
  cp "$stale" "$out/.other.tgz.solodyno-tmp.abcdef"
  cp "$stale" "$out/.slug.tgz.solodyno-tmp.abc"
  cp "$stale" "$out/.slug.tgz.solodyno-tmp.alive1"
  flock "$out/.slug.tgz.solodyno-tmp.alive1" sleep 60 &
  local holder=$!
  wait_until 10 bash -c "! flock -n '$out/.slug.tgz.solodyno-tmp.alive1' true"
  find "$out" -mindepth 1 -printf '%f\n' | LC_ALL=C sort >"$BATS_TEST_TMPDIR/before"

  run "$SLUG_BIN" -o "$out/slug.tgz" "$APP"
  kill "$holder" 2>/dev/null || true
  assert_success
  assert_output --partial "removed $stale, the temporary slug of an earlier run that was killed"
  assert [ ! -e "$stale" ]
  tar -tzf "$out/slug.tgz" >/dev/null
  find "$out" -mindepth 1 -printf '%f\n' | LC_ALL=C sort >"$BATS_TEST_TMPDIR/after"
  # Exactly the killed run's file went, and the new slug came.
  run diff "$BATS_TEST_TMPDIR/before" "$BATS_TEST_TMPDIR/after"
  assert_output --partial "< ${stale##*/}"
  assert_output --partial "> slug.tgz"
  [ "$(grep -c '^[<>]' <<<"$output")" -eq 2 ]
  run cat "$out/.slug.tgz.solodyno-tmp.notes1"
  assert_output "my notes"
}

@test "a Procfile just under 4 MiB whose layout would pass 4 MiB is left as it is, with a warning" {
  use_fixture mastodon
  python3 - "$APP/Procfile" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    size = f.write("web: bin/heroku-web\nworker: bundle exec sidekiq\n")
    i = 0
    while size < 4 * 1024 * 1024 - 64:
        size += f.write(f"job{i}: bundle exec rake q{i}\n")
        i += 1
PY
  cp "$APP/Procfile" "$BATS_TEST_TMPDIR/before"
  compile_app
  assert_success
  assert_output --partial "The laid-out Procfile would be larger than 4 MiB, more than solodyno reads back; the Procfile is left as it is."
  cmp "$BATS_TEST_TMPDIR/before" "$APP/Procfile"
  assert_file_not_exists "$APP/Procfile.web"
  assert_file_not_exists "$APP/Procfile.orig"
}
