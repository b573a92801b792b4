#!/usr/bin/env bats
# solodyno-slug: a real, reproducible Heroku slug from a built app; and
# .slugignore, which the local build applies to the source before the build.

load test_helper

setup() {
  common_setup
  SLUG_BIN="$SOLODYNO_BUILD_DIR/solodyno-slug"
  OUT="$BATS_TEST_TMPDIR/out"
  mkdir -p "$OUT"
}

need_slug() {
  [[ -x "$SLUG_BIN" ]] || skip "solodyno-slug not built (libarchive's headers missing)"
}

# A Mastodon-shaped app, built by the real bin/compile, with the kinds of
# entries a slug must carry: executables, symlinks, nested directories.
built_app() {
  use_fixture mastodon
  mkdir -p "$APP/vendor/bundle/ruby/3.3.0/gems/rack-3.1.0/lib" "$APP/node_modules/.bin" \
    "$APP/public/packs" "$APP/empty-dir"
  printf 'module Rack; end\n' >"$APP/vendor/bundle/ruby/3.3.0/gems/rack-3.1.0/lib/rack.rb"
  printf '#!/bin/sh\necho hi\n' >"$APP/node_modules/.bin/tool"
  chmod 0755 "$APP/node_modules/.bin/tool"
  head -c 20000 /dev/urandom >"$APP/public/packs/app.js"
  ln -s ../../Gemfile "$APP/public/packs/gemfile-link"
  ln -s public/packs "$APP/packs-link"
  : >"$APP/empty-file"
  compile_app
  assert_success
}

# count_tmp DIR: how many temporary slug files are in DIR.
count_tmp() {
  find "$1" -maxdepth 1 -name '*solodyno-tmp*' | wc -l
}

# extract SLUG DIR: GNU tar, as a user checking the slug would.
extract() {
  mkdir -p "$2"
  tar -C "$2" -xzf "$1"
}

@test "slug: GNU tar extracts exactly the built tree, .git left out" {
  need_slug
  built_app
  mkdir -p "$APP/.git/objects"
  echo 'ref: refs/heads/main' >"$APP/.git/HEAD"
  run "$SLUG_BIN" -o "$OUT/slug.tgz" "$APP"
  assert_success
  assert_output --partial "Slug written to $OUT/slug.tgz"
  extract "$OUT/slug.tgz" "$OUT/x"
  run diff -r --no-dereference --exclude=.git "$APP" "$OUT/x/app"
  assert_success
  assert [ ! -e "$OUT/x/app/.git" ]
  # Only ./app/ at the top.
  run ls -A "$OUT/x"
  assert_output "app"
}

@test "slug: every entry under ./app/, owner 0/0 without names" {
  need_slug
  built_app
  run "$SLUG_BIN" -o "$OUT/slug.tgz" "$APP"
  assert_success
  run tar tzvf "$OUT/slug.tgz"
  assert_success
  assert_line --regexp '^d[rwx-]{9} 0/0 +0 .* \./app/$'
  # Every line: owner 0/0 (numeric: no user or group names), path under ./app/.
  run bash -c "tar tzvf '$OUT/slug.tgz' | grep -vcE '^[-dl][rwxsStT-]{9} 0/0 +[0-9]+ [0-9-]+ [0-9:]+ \./app/'"
  assert_output "0"
  run bash -c "tar tzf '$OUT/slug.tgz' | grep -c ."
  local entries=$output
  run bash -c "cd '$APP' && find . | wc -l"
  assert_equal "$entries" "$output"
}

@test "slug: the same tree gives the same bytes, whatever -j; SOURCE_DATE_EPOCH clamps mtimes" {
  need_slug
  built_app
  "$SLUG_BIN" -o "$OUT/a.tgz" "$APP" >/dev/null
  "$SLUG_BIN" -o "$OUT/b.tgz" "$APP" >/dev/null
  "$SLUG_BIN" -j 2 -o "$OUT/c.tgz" "$APP" >/dev/null
  "$SLUG_BIN" -j 3 -o "$OUT/d.tgz" "$APP" >/dev/null
  cmp "$OUT/a.tgz" "$OUT/b.tgz"
  cmp "$OUT/a.tgz" "$OUT/c.tgz"
  cmp "$OUT/a.tgz" "$OUT/d.tgz"
  # A copy of the tree made at another time, with SOURCE_DATE_EPOCH before
  # every mtime: the same bytes for both.
  cp -a "$APP" "$BATS_TEST_TMPDIR/copy"
  find "$BATS_TEST_TMPDIR/copy" -exec touch -h -d '2030-01-01 00:00:00' {} +
  SOURCE_DATE_EPOCH=1000000000 "$SLUG_BIN" -o "$OUT/e.tgz" "$APP" >/dev/null
  SOURCE_DATE_EPOCH=1000000000 "$SLUG_BIN" -o "$OUT/f.tgz" "$BATS_TEST_TMPDIR/copy" >/dev/null
  cmp "$OUT/e.tgz" "$OUT/f.tgz"
  run bash -c "TZ=UTC tar tzvf '$OUT/e.tgz' | grep -vc ' 2001-09-09 01:46 '"
  assert_output "0"
  # The gzip header has no timestamp and no name.
  run bash -c "head -c 10 '$OUT/a.tgz' | od -An -tx1 | tr -d ' \n'"
  assert_output "1f8b0800000000000003"
}

@test "slug: the checksum is sha256sum of the file, in the Platform API's format" {
  need_slug
  built_app
  run "$SLUG_BIN" -o "$OUT/slug.tgz" "$APP"
  assert_success
  local sum
  sum=$(sha256sum "$OUT/slug.tgz" | cut -d' ' -f1)
  assert_line "       Checksum: SHA256:$sum"
}

@test "slug: -j 2 output is one standard gzip stream (gzip -t, tar xz)" {
  need_slug
  built_app
  # Enough data for many 128 KiB blocks, compressible and not.
  head -c 3000000 /dev/urandom >"$APP/random.bin"
  seq 1 400000 >"$APP/numbers.txt"
  run "$SLUG_BIN" -j 2 -o "$OUT/slug.tgz" "$APP"
  assert_success
  run gzip -t "$OUT/slug.tgz"
  assert_success
  mkdir -p "$OUT/x"
  run tar -C "$OUT/x" -xz -f - <"$OUT/slug.tgz"
  assert_success
  run diff -r --no-dereference "$APP" "$OUT/x/app"
  assert_success
  # zlib's own reader agrees on the data and the trailer's CRC and size.
  run python3 -c 'import gzip,sys; d=gzip.open(sys.argv[1]).read(); print(len(d) % 10240)' "$OUT/slug.tgz"
  assert_output "0"
}

@test "slug: symlinks stay links, never followed; exec bits kept" {
  need_slug
  built_app
  run "$SLUG_BIN" -o "$OUT/slug.tgz" "$APP"
  assert_success
  run tar tzvf "$OUT/slug.tgz"
  assert_line --regexp '^l.* \./app/packs-link -> public/packs$'
  assert_line --regexp '^l.* \./app/public/packs/gemfile-link -> \.\./\.\./Gemfile$'
  assert_line --regexp '^-rwxr-xr-x .* \./app/node_modules/\.bin/tool$'
  # The linked directory is not packed a second time through the link.
  refute_line --partial './app/packs-link/'
  extract "$OUT/slug.tgz" "$OUT/x"
  assert [ -L "$OUT/x/app/packs-link" ]
  run readlink "$OUT/x/app/public/packs/gemfile-link"
  assert_output "../../Gemfile"
  run stat -c %a "$OUT/x/app/node_modules/.bin/tool"
  assert_output "755"
}

@test "slug: 50,000 small files" {
  need_slug
  use_fixture rails-generic
  python3 - "$APP" <<'PY'
import os, sys
root = sys.argv[1]
for d in range(100):
    dp = os.path.join(root, "many", "d%03d" % d)
    os.makedirs(dp)
    for f in range(500):
        with open(os.path.join(dp, "f%03d.txt" % f), "w") as fh:
            fh.write("file %d/%d\n" % (d, f))
PY
  run "$SLUG_BIN" -j 2 -o "$OUT/slug.tgz" "$APP"
  assert_success
  assert_line --regexp '^       Entries: 50,1[0-9][0-9] \(50,00[0-9] files, 10[0-9] directories, 0 symlinks\)$'
  run bash -c "tar tzf '$OUT/slug.tgz' | grep -c '^\./app/many/d[0-9]*/f[0-9]*\.txt$'"
  assert_output "50000"
  extract "$OUT/slug.tgz" "$OUT/x"
  run diff -r "$APP" "$OUT/x/app"
  assert_success
}

@test "slug: a path over 255 bytes, and names that are not UTF-8" {
  need_slug
  use_fixture rails-generic
  local long
  long="$APP/$(printf 'a%.0s' {1..120})/$(printf 'b%.0s' {1..120})/$(printf 'c%.0s' {1..100})"
  mkdir -p "$long"
  echo deep >"$long/file.txt"
  mkdir -p "$APP/odd"
  printf 'latin-1\n' >"$APP/odd/$(printf 'caf\xe9')"
  printf 'utf-8\n' >"$APP/odd/café"
  printf 'bytes\n' >"$APP/odd/$(printf '\xff\xfe name')"
  run "$SLUG_BIN" -o "$OUT/slug.tgz" "$APP"
  assert_success
  # The names that are not UTF-8 are named in a warning (escaped).
  assert_output --partial 'odd/caf\xe9: not UTF-8; stored as raw bytes'
  extract "$OUT/slug.tgz" "$OUT/x" 2>/dev/null
  run diff -r "$APP" "$OUT/x/app"
  assert_success
  local rel=${long#"$APP/"}
  (( ${#rel} + 15 > 255 ))
  run cat "$OUT/x/app/$rel/file.txt"
  assert_output "deep"
}

@test "slug: --json is the body of POST /apps/{app}/slugs" {
  need_slug
  # The commit comes from the build's stamp (solodyno stamp, from SOURCE_VERSION).
  config_var SOURCE_VERSION 0123456789abcdef0123456789abcdef01234567
  built_app
  run cat "$APP/.solodyno/source-version"
  assert_output "0123456789abcdef0123456789abcdef01234567"
  printf 'web: bundle exec puma -C config/puma.rb\nworker: bundle exec sidekiq -c "${SIDEKIQ_THREADS:-5}"\n# note\nrelease: echo "tab\there" \\ done\n' >"$APP/Procfile"
  run --separate-stderr "$SLUG_BIN" --json --stack heroku-24 -o "$OUT/slug.tgz" "$APP"
  assert_success
  printf '%s\n' "$output" >"$OUT/body.json"
  # The report went to stderr, so stdout is JSON only.
  [[ "$stderr" == *"Checksum: SHA256:"* ]]
  run python3 - "$OUT/body.json" "$OUT/slug.tgz" <<'PY'
import hashlib, json, sys
body = json.load(open(sys.argv[1]))
digest = hashlib.sha256(open(sys.argv[2], "rb").read()).hexdigest()
assert set(body) == {"process_types", "commit", "stack", "checksum"}, body
assert body["process_types"] == {
    "web": "bundle exec puma -C config/puma.rb",
    "worker": 'bundle exec sidekiq -c "${SIDEKIQ_THREADS:-5}"',
    "release": 'echo "tab\there" \\ done',
}, body["process_types"]
assert body["commit"] == "0123456789abcdef0123456789abcdef01234567"
assert body["stack"] == "heroku-24"
assert body["checksum"] == "SHA256:" + digest
print("ok")
PY
  assert_output "ok"
}

@test "slug: --json without a known commit or stack leaves them out" {
  need_slug
  built_app
  run head -n 1 "$APP/.solodyno/source-version"
  assert_output "unknown"
  run --separate-stderr env -u STACK "$SLUG_BIN" --json -o "$OUT/slug.tgz" "$APP"
  assert_success
  run python3 -c 'import json,sys; b=json.loads(sys.argv[1]); print(sorted(b))' "$output"
  assert_output "['checksum', 'process_types']"
}

@test "slug: --json leaves out a Procfile line it cannot read, with a warning naming it" {
  need_slug
  built_app
  printf 'web: echo \xff\nworker: bundle exec sidekiq\n' >"$APP/Procfile"
  run --separate-stderr "$SLUG_BIN" --json -o "$OUT/slug.tgz" "$APP"
  assert_success
  [[ "$stderr" == *" !     Procfile, line 1: "*"not valid UTF-8"* ]]
  run python3 -c 'import json,sys; print(json.loads(sys.argv[1])["process_types"])' "$output"
  assert_output "{'worker': 'bundle exec sidekiq'}"
}

@test "slug: --json refuses an unreadable Procfile before writing anything" {
  need_slug
  built_app
  rm "$APP/Procfile"
  mkdir "$APP/Procfile"
  run "$SLUG_BIN" --json -o "$OUT/slug.tgz" "$APP"
  assert_failure
  assert_output --partial "--json: Procfile is a directory"
  assert [ ! -e "$OUT/slug.tgz" ]
}

@test "slug: the largest directories, with chains of single subdirectories collapsed" {
  need_slug
  built_app
  head -c 3000000 /dev/urandom >"$APP/vendor/bundle/ruby/3.3.0/gems/rack-3.1.0/lib/big.bin"
  head -c 1000000 /dev/urandom >"$APP/public/packs/big.js"
  run "$SLUG_BIN" -o "$OUT/slug.tgz" "$APP"
  assert_success
  assert_line --regexp '^ +2\.[89] MB +[0-9.]+%  vendor/bundle/ruby/3\.3\.0/gems/rack-3\.1\.0/lib/$'
  assert_line --regexp '^ +9[0-9]{2}\.[0-9] KB +[0-9.]+%  public/packs/$'
  refute_line --regexp '  vendor/$'
  refute_line --regexp '  vendor/bundle/$'
  assert_line --partial "Heroku's limits: a warning above 300.0 MB compressed; at most 1.0 GB (--max)"
}

@test "slug: a slug over 300 MB compressed gets Heroku's warning" {
  need_slug
  use_fixture rails-generic
  mkdir -p "$APP/data"
  head -c $((310 * 1024 * 1024)) /dev/urandom >"$APP/data/blob.bin"
  run --separate-stderr "$SLUG_BIN" -j 2 -o "$OUT/slug.tgz" "$APP"
  assert_success
  [[ "$stderr" == *"This slug is 310."*" MB compressed, over the 300.0 MB at which Heroku warns"* ]]
  rm -f "$APP/data/blob.bin" "$OUT/slug.tgz"
}

@test "slug: over --max is an error listing the largest directories; nothing written" {
  need_slug
  built_app
  head -c 2000000 /dev/urandom >"$APP/public/packs/big.js"
  echo old >"$OUT/slug.tgz"
  run "$SLUG_BIN" --max 1M -o "$OUT/slug.tgz" "$APP"
  assert_failure
  assert_output --partial "the compressed slug is larger than 1.0 MB (--max)"
  assert_output --partial "public/packs/"
  run cat "$OUT/slug.tgz"
  assert_output "old"
  run count_tmp "$OUT"
  assert_output "0"
}

# ---- errors -------------------------------------------------------------------

# No slug at the target, no temporary file next to it.
assert_nothing_written() {
  assert [ ! -e "$OUT/slug.tgz" ]
  run count_tmp "$OUT"
  assert_output "0"
}

@test "slug error: an unreadable file" {
  need_slug
  built_app
  echo secret >"$APP/config/secret.key"
  chmod 000 "$APP/config/secret.key"
  if [[ "$(id -u)" == 0 ]]; then
    # root reads anything: drop the capabilities that allow it.
    run capsh --drop=cap_dac_override,cap_dac_read_search -- -c "'$SLUG_BIN' -o '$OUT/slug.tgz' '$APP'"
  else
    run "$SLUG_BIN" -o "$OUT/slug.tgz" "$APP"
  fi
  assert_failure
  assert_output --partial "config/secret.key: cannot be read: Permission denied"
  assert_nothing_written
}

# stopped PID: true once the process is stopped (state T).
stopped() {
  [[ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" == T ]]
}

# change_mid_pack FILE COMMAND: starts a pack that stops just before FILE is
# read, runs COMMAND, lets the pack go on; sets $status and $output.
change_mid_pack() {
  local file=$1 cmd=$2 pid
  SOLODYNO_SLUG_TEST_STOP_AT=$file "$SLUG_BIN" -o "$OUT/slug.tgz" "$APP" >"$OUT/log" 2>&1 &
  pid=$!
  wait_until 20 stopped "$pid"
  bash -c "$cmd"
  kill -CONT "$pid"
  status=0
  wait "$pid" || status=$?
  output=$(cat "$OUT/log")
  rm -f "$OUT/log"
}

@test "slug error: a file that vanishes, shrinks or grows while packing" {
  need_slug
  built_app
  head -c 300000 /dev/urandom >"$APP/public/packs/a.bin"
  change_mid_pack public/packs/a.bin "rm '$APP/public/packs/a.bin'"
  assert_failure
  assert_output --partial "public/packs/a.bin: vanished before it could be read"
  assert_nothing_written

  head -c 300000 /dev/urandom >"$APP/public/packs/a.bin"
  change_mid_pack public/packs/a.bin "truncate -s 1000 '$APP/public/packs/a.bin'"
  assert_failure
  assert_output --partial "public/packs/a.bin: shrank while being read (1000 of 300000 bytes)"
  assert_nothing_written

  head -c 300000 /dev/urandom >"$APP/public/packs/a.bin"
  change_mid_pack public/packs/a.bin "echo more >>'$APP/public/packs/a.bin'"
  assert_failure
  assert_output --partial "public/packs/a.bin: grew while being read"
  assert_nothing_written
}

@test "slug error: SIGTERM while packing leaves nothing behind" {
  need_slug
  built_app
  local pid
  SOLODYNO_SLUG_TEST_STOP_AT=Gemfile "$SLUG_BIN" -o "$OUT/slug.tgz" "$APP" >/dev/null 2>&1 &
  pid=$!
  wait_until 20 stopped "$pid"
  # The temporary file exists while packing ...
  run count_tmp "$OUT"
  assert_output "1"
  kill -TERM "$pid"
  kill -CONT "$pid"
  local st=0
  wait "$pid" || st=$?
  [ "$st" -eq $((128 + 15)) ]
  # ... and is gone with it.
  assert_nothing_written
}

@test "slug error: a dangling symlink" {
  need_slug
  built_app
  ln -s ../missing/thing "$APP/config/broken"
  run "$SLUG_BIN" -o "$OUT/slug.tgz" "$APP"
  assert_failure
  assert_output --partial "config/broken: a symlink to ../missing/thing, which does not exist; the slug would ship a broken link"
  assert_nothing_written
  # /app/... is where the slug lives on a dyno: checked inside the app.
  rm "$APP/config/broken"
  ln -s /app/Gemfile "$APP/config/abs-ok"
  ln -s /app/nope "$APP/config/abs-broken"
  run "$SLUG_BIN" -o "$OUT/slug.tgz" "$APP"
  assert_failure
  assert_output --partial "config/abs-broken: a symlink to /app/nope, which does not exist"
  rm "$APP/config/abs-broken"
  # Other absolute targets are the stack's files: stored, not checked here.
  ln -s /usr/lib/nonexistent-on-this-machine "$APP/config/stack-file"
  run "$SLUG_BIN" -o "$OUT/slug.tgz" "$APP"
  assert_success
}

@test "slug error: the output path inside the app" {
  need_slug
  built_app
  run "$SLUG_BIN" -o "$APP/public/slug.tgz" "$APP"
  assert_failure
  assert_output --partial "is inside the app directory"
  assert [ ! -e "$APP/public/slug.tgz" ]
  # Also through a symlinked directory, and with the default output in the app.
  ln -s "$APP/public" "$BATS_TEST_TMPDIR/via-link"
  run "$SLUG_BIN" -o "$BATS_TEST_TMPDIR/via-link/slug.tgz" "$APP"
  assert_failure
  assert_output --partial "is inside the app directory"
  cd "$APP"
  run "$SLUG_BIN" .
  assert_failure
  assert [ ! -e "$APP/slug.tgz" ]
  run bash -c "find '$APP' -name '*solodyno-tmp*' | wc -l"
  assert_output "0"
}

@test "slug error: disk full leaves the old slug as it was, and no temporary file" {
  need_slug
  built_app
  head -c 3000000 /dev/urandom >"$APP/public/packs/big.js"
  local small="$BATS_TEST_TMPDIR/small" how
  mkdir -p "$small"
  if mount -t tmpfs -o size=1m tmpfs "$small" 2>/dev/null; then
    how=tmpfs
    echo old >"$small/slug.tgz"
    run "$SLUG_BIN" -o "$small/slug.tgz" "$APP"
    local out=$output st=$status
    run cat "$small/slug.tgz"
    local kept=$output
    local tmps
    tmps=$(count_tmp "$small")
    umount "$small"
    [ "$st" -eq 1 ]
    [[ "$out" == *"writing $small/slug.tgz: No space left on device"* ]]
  else
    how="ulimit -f"
    echo old >"$small/slug.tgz"
    run bash -c "ulimit -f 1024; exec '$SLUG_BIN' -o '$small/slug.tgz' '$APP'"
    [ "$status" -eq 1 ]
    [[ "$output" == *"writing $small/slug.tgz: File too large"* ]]
    kept=$(cat "$small/slug.tgz")
    tmps=$(count_tmp "$small")
  fi
  echo "simulated with $how" >&3
  [ "$kept" = old ]
  [ "$tmps" = 0 ]
}

@test "slug error: bad usage and bad SOURCE_DATE_EPOCH" {
  need_slug
  built_app
  run "$SLUG_BIN"
  [ "$status" -eq 2 ]
  assert_output --partial "usage: solodyno-slug"
  run "$SLUG_BIN" -j 0 "$APP"
  [ "$status" -eq 2 ]
  assert_output --partial "-j takes a number of threads from 1 to 64, not '0'"
  run "$SLUG_BIN" --max lots "$APP"
  [ "$status" -eq 2 ]
  assert_output --partial "--max takes a size such as 500M or 1G, not 'lots'"
  run "$SLUG_BIN" -o "$OUT/slug.tgz" "$APP/Gemfile"
  assert_failure
  assert_output --partial "is not a directory"
  SOURCE_DATE_EPOCH=yesterday run "$SLUG_BIN" -o "$OUT/slug.tgz" "$APP"
  assert_failure
  assert_output --partial "SOURCE_DATE_EPOCH must be a whole number of seconds"
  assert_nothing_written
}

@test "slug: a progress line on a terminal only" {
  need_slug
  built_app
  run script -qec "'$SLUG_BIN' -o '$OUT/tty.tgz' '$APP'" /dev/null
  assert_success
  assert_output --partial "Packing: "
  run --separate-stderr "$SLUG_BIN" -o "$OUT/pipe.tgz" "$APP"
  assert_success
  [[ "$stderr" != *"Packing"* ]]
  cmp "$OUT/tty.tgz" "$OUT/pipe.tgz"
}

# ---- .slugignore in the local build --------------------------------------------------

@test "slugignore: the local build removes matches from its copy before the build, as Heroku does" {
  use_fixture mastodon
  mkdir -p "$APP/spec/models" "$APP/docs/design" "$APP/vendor/bundle/ruby/3.3.0/gems/rack-3.1.0/spec" \
    "$APP/node_modules/pkg/spec" "$APP/lib/tasks"
  echo 'describe X' >"$APP/spec/models/x_spec.rb"
  echo pdf >"$APP/docs/design/mockup.pdf"
  echo psd >"$APP/lib/tasks/art.psd"
  echo keep >"$APP/docs/README.md"
  echo gem >"$APP/vendor/bundle/ruby/3.3.0/gems/rack-3.1.0/spec/rack_spec.rb"
  echo node >"$APP/node_modules/pkg/spec/t.js"
  cat >"$APP/.slugignore" <<'EOF'
# what the dynos never need
spec
*.pdf
*.psd
!docs/design/mockup.pdf
EOF
  local built="$BATS_TEST_TMPDIR/built"
  run "$BP_DIR/bin/local" build "$APP" "$built" --env-dir "$ENV_DIR" --cache-dir "$SHARED_CACHE"
  assert_success
  assert_output --partial "Applying .slugignore"
  assert_output --partial "Removed 3 paths matching .slugignore"
  assert_output --partial ".slugignore, line 5: negated patterns ('!') are not supported by Heroku's .slugignore; line ignored"
  assert [ ! -e "$built/spec" ]
  assert [ ! -e "$built/docs/design/mockup.pdf" ]
  assert [ ! -e "$built/lib/tasks/art.psd" ]
  assert [ -f "$built/docs/README.md" ]
  # Installed dependencies stand in for what the language buildpacks install
  # after Heroku applied .slugignore: never touched.
  assert [ -f "$built/vendor/bundle/ruby/3.3.0/gems/rack-3.1.0/spec/rack_spec.rb" ]
  assert [ -f "$built/node_modules/pkg/spec/t.js" ]
  # Even a pattern that names their parent leaves them.
  printf 'vendor\n' >"$APP/.slugignore"
  mkdir -p "$APP/vendor/assets"
  echo js >"$APP/vendor/assets/lib.js"
  run "$BP_DIR/bin/local" build "$APP" "$BATS_TEST_TMPDIR/built2" --env-dir "$ENV_DIR" --cache-dir "$SHARED_CACHE"
  assert_success
  assert [ ! -e "$BATS_TEST_TMPDIR/built2/vendor/assets" ]
  assert [ -f "$BATS_TEST_TMPDIR/built2/vendor/bundle/ruby/3.3.0/gems/rack-3.1.0/spec/rack_spec.rb" ]
  # The build ran on the pruned copy; the checkout is untouched.
  assert [ -x "$built/.solodyno/bin/solodyno" ]
  assert [ -f "$APP/spec/models/x_spec.rb" ]
  assert [ -f "$APP/docs/design/mockup.pdf" ]
}

@test "slugignore: anchored patterns, directory-only patterns, ** and comments" {
  use_fixture rails-generic
  mkdir -p "$APP/tmp/cache" "$APP/lib/tmp" "$APP/log" "$APP/app" "$APP/assets/src/a/b" \
    "$APP/test/fixtures/files" "$APP/deep/x/fixtures"
  touch "$APP/tmp/cache/c" "$APP/lib/tmp/keep" "$APP/log/dev.log" "$APP/app/log" \
    "$APP/assets/src/a/b/c.scss" "$APP/assets/keep.txt" "$APP/test/fixtures/files/f" \
    "$APP/deep/x/fixtures/f" "$APP/#notes"
  printf '/tmp\nlog/\nassets/src/**\n**/fixtures\n  # indented comment\n\\#notes\r\n' >"$APP/.slugignore"
  local built="$BATS_TEST_TMPDIR/built"
  run "$BP_DIR/bin/local" build "$APP" "$built" --env-dir "$ENV_DIR" --cache-dir "$SHARED_CACHE"
  assert_success
  assert [ ! -e "$built/tmp" ]
  assert [ -f "$built/lib/tmp/keep" ]      # /tmp is anchored
  assert [ ! -e "$built/log" ]
  assert [ -f "$built/app/log" ]           # log/ matches directories only
  assert [ -d "$built/assets/src" ]        # the directory stays, its content goes
  assert [ ! -e "$built/assets/src/a" ]
  assert [ -f "$built/assets/keep.txt" ]
  assert [ ! -e "$built/test/fixtures" ]
  assert [ ! -e "$built/deep/x/fixtures" ]
  assert [ ! -e "$built/#notes" ]
}

@test "slugignore: an app without .slugignore is copied whole; the solodyno sub-command on its own" {
  use_fixture rails-generic
  mkdir -p "$APP/spec"
  touch "$APP/spec/a_spec.rb"
  local built="$BATS_TEST_TMPDIR/built"
  run "$BP_DIR/bin/local" build "$APP" "$built" --env-dir "$ENV_DIR" --cache-dir "$SHARED_CACHE"
  assert_success
  refute_output --partial "slugignore"
  assert [ -f "$built/spec/a_spec.rb" ]
  # The sub-command the local build uses.
  printf 'spec\n' >"$built/.slugignore"
  run "$SOLODYNO_BUILD_DIR/solodyno" slugignore "$built"
  assert_success
  assert_output --partial "Removed 1 path matching .slugignore (2 entries): spec/"
  assert [ ! -e "$built/spec" ]
  run "$SOLODYNO_BUILD_DIR/solodyno" slugignore
  [ "$status" -eq 2 ]
}
