#!/usr/bin/env bats
# solodyno procfile through the real bin/compile: the one-dyno process layout
# (golden files in test/fixtures/procfiles/), the bad-input cases, the opt-out,
# the app facts, the end-of-build summary, and the unit tests of the parser.

load test_helper

setup() { common_setup; }

GOLDEN="$FIXTURES/procfiles"

# sums FILE...: one line per file, its checksum or "missing".
sums() {
  local f
  for f in "$@"; do
    if [[ -e "$APP/$f" ]]; then printf '%s %s\n' "$f" "$(sha256sum <"$APP/$f" | cut -c1-64)"; else echo "$f missing"; fi
  done
}

# golden CASE: the case's base fixture with the case's files, built; the
# Procfile and Procfile.web must equal the .expected files byte for byte, the
# original must be in Procfile.orig, and a second build must change nothing.
golden() {
  local dir="$GOLDEN/$1" f
  use_fixture "$(cat "$dir/base")"
  rm -f "$APP/Procfile"
  for f in "$dir"/*; do
    case "${f##*/}" in base | *.expected) ;; *) cp -a "$f" "$APP/" ;; esac
  done
  cp "$APP/Procfile" "$BATS_TEST_TMPDIR/Procfile.before"
  compile_app
  assert_success
  GOLDEN_OUTPUT=$output
  run diff -u "$dir/Procfile.expected" "$APP/Procfile"
  assert_success
  if [[ -f "$dir/Procfile.web.expected" ]]; then
    run diff -u "$dir/Procfile.web.expected" "$APP/Procfile.web"
    assert_success
  else
    assert_file_not_exists "$APP/Procfile.web"
  fi
  if cmp -s "$dir/Procfile.expected" "$BATS_TEST_TMPDIR/Procfile.before"; then
    assert_file_not_exists "$APP/Procfile.orig"
  else
    cmp "$BATS_TEST_TMPDIR/Procfile.before" "$APP/Procfile.orig"
  fi
  # No temporary file left behind.
  run find "$APP" -maxdepth 1 -name '*.solodyno-tmp.*'
  assert_output ""
  # Idempotent: a second build over the first changes no byte.
  sums Procfile Procfile.web Procfile.orig >"$BATS_TEST_TMPDIR/sums.1"
  compile_app
  assert_success
  sums Procfile Procfile.web Procfile.orig >"$BATS_TEST_TMPDIR/sums.2"
  run diff "$BATS_TEST_TMPDIR/sums.1" "$BATS_TEST_TMPDIR/sums.2"
  assert_success
  output=$GOLDEN_OUTPUT
}

# ---- golden cases -------------------------------------------------------------

@test "upstream Mastodon: bin/heroku-web split into puma and streaming, sidekiq from the worker, release added" {
  golden mastodon-upstream
  assert_output --partial "-----> solodyno: the one-dyno process layout"
  assert_output --partial "App: Mastodon 4.3.2 (from lib/mastodon/version.rb)"
  assert_output --partial "web: 'bin/heroku-web' -> 'solodyno run Procfile.web'"
  assert_output --partial "The original is kept as Procfile.orig"
  assert_output --partial "Process layout: web runs puma@!RUN_STREAMING, sidekiq@RUN_WORKER, streaming@RUN_STREAMING (Procfile.web)"
}

@test "the repository's own Mastodon fixture gets the layout of the design" {
  use_fixture mastodon
  compile_app
  assert_success
  run cat "$APP/Procfile"
  assert_output "$(cat "$GOLDEN/mastodon-upstream/Procfile.expected")"
}

@test "Mastodon's release line is kept, && chain and all, inside the RUN_STREAMING guard" {
  golden mastodon-release
  assert_output --partial 'release: runs only where RUN_STREAMING is not "true"'
}

@test "a commented-out release line is a choice: no release line is added, and the log says why" {
  golden mastodon-release-commented
  assert_output --partial "release: none added: the Procfile comments the release line out (line 3)"
  refute_output --partial "db:migrate' (added)"
}

@test "a comment that only mentions release (no 'release:' line) still gets the guarded release" {
  use_fixture mastodon
  printf 'web: bin/heroku-web\n# release phase: see the wiki\n#releases: none\n' >"$APP/Procfile"
  compile_app
  assert_success
  assert_line --partial "release: 'bundle exec rails db:migrate' (added)"
  run grep -c '^release: if \[ "\$RUN_STREAMING" != "true" \]; then bundle exec rails db:migrate;' "$APP/Procfile"
  assert_output 1
}

@test "a one-liner with trap, sleep 25, RUN_SCHEDULE and queue lists becomes members, nothing lost" {
  golden mastodon-oneliner-schedule
  assert_output --partial "was a multi-process one-liner"
  assert_output --partial "left out, as solodyno run does it: 'trap '' SIGTERM; wait -n; kill -SIGTERM -\$\$; wait'"
}

@test "a one-liner of && lists ([ ], [[ ]], sleep &&): each test becomes the member's condition" {
  golden mastodon-oneliner-and
  assert_output --partial 'puma@!RUN_STREAMING: BIND=${BIND:-0.0.0.0} puma -C config/puma.rb'
}

@test "a test nested in another (RUN_SCHEDULE inside RUN_WORKER, no else): a member with both conditions" {
  golden mastodon-oneliner-nested
  assert_output --partial "sidekiq-2@RUN_WORKER@RUN_SCHEDULE: sleep 2; bundle exec sidekiq -q scheduler"
  # it steps aside on a streaming app, so the streaming server runs there
  assert_output --partial "Mastodon's streaming server runs there"
}

@test "test ... || CMD is the opposite condition; \${VAR}, \${VAR:-false} and = read as the variable" {
  golden mastodon-oneliner-test-or
}

@test "a test the layout cannot turn into conditions ([ -n ... ]): the Procfile is kept, with a warning naming it" {
  golden mastodon-test-unmappable
  assert_output --partial "cannot be mapped onto the one-dyno layout: a condition other than"
  assert_output --partial '([ -n "$RUN_WORKER" ])'
}

@test "Mastodon 1.4.0-1.4.6 (Babel in package.json's start): the streaming server from Mastodon's defaults is npm start" {
  golden mastodon-1.4-babel
  assert_output --partial "it is 'BIND=0.0.0.0 npm start': this version's package.json starts it with 'rimraf ./tmp/streaming && babel"
}

@test "Mastodon 1.3 without a Procfile (babel-node in package.json's start): npm start, not node ./streaming" {
  use_fixture mastodon-1.4
  rm "$APP/Procfile"
  sed -i 's|"start": .*|"start": "babel-node ./streaming/index.js --presets es2015,stage-2",|' "$APP/package.json"
  compile_app
  assert_success
  run grep '^streaming@' "$APP/Procfile.web"
  assert_output 'streaming@RUN_STREAMING: BIND=${BIND:-0.0.0.0} npm start'
  # a package.json that is not JSON says nothing: Mastodon's plain default
  printf '{ "scripts": { "start": "babel-node ./streaming/index.js", } }' >"$APP/package.json"
  rm "$APP/Procfile" "$APP/Procfile.web"
  compile_app
  assert_success
  run grep '^streaming@' "$APP/Procfile.web"
  assert_output 'streaming@RUN_STREAMING: BIND=${BIND:-0.0.0.0} node ./streaming'
}

@test "Mastodon from 1.4.7 (start: node ./streaming/index.js): the default stays node ./streaming, no npm process" {
  use_fixture mastodon
  cp "$GOLDEN/mastodon-npm-start/package.json" "$APP/package.json"
  rm "$APP/Procfile" "$APP/bin/heroku-web"
  printf 'web: bin/heroku-web\n' >"$APP/Procfile"
  compile_app
  assert_success
  assert_output --partial "bin/heroku-web, which the app does not have; using upstream Mastodon's"
  run grep '^streaming@' "$APP/Procfile.web"
  assert_output 'streaming@RUN_STREAMING: BIND=${BIND:-0.0.0.0} node ./streaming'
}

@test "npm start in the web line is the streaming server when package.json's start script runs it" {
  golden mastodon-npm-start
  assert_output --partial "streaming@RUN_STREAMING: npm start"
}

@test "yarn run start in a one-liner is the streaming server too" {
  golden mastodon-yarn-start
}

@test "yarn workspace @mastodon/streaming start (4.x's streaming/package.json) is the streaming server" {
  golden mastodon-yarn-workspace
}

@test "npm start whose script runs something else: the Procfile is kept, with a warning naming it" {
  golden mastodon-npm-not-streaming
  assert_output --partial "runs 'npm start', and solodyno cannot tell which process that is"
}

@test "a one-liner with jemalloc.sh: wrappers and env prefixes preserved; an already guarded release untouched" {
  golden mastodon-oneliner-jemalloc
}

@test "a one-liner without trap or streaming: puma always, sidekiq on RUN_WORKER, -c appended" {
  golden mastodon-oneliner-plain
}

@test "the older inline if/else web line of Mastodon is split like bin/heroku-web" {
  golden mastodon-inline-if
}

@test "web: foreman start -f Procfile.heroku: foreman's processes become members" {
  golden mastodon-foreman
  assert_output --partial "web ran foreman on Procfile.heroku"
}

@test "a plain Puma web line: the puma member, streaming from Mastodon's defaults, other types unchanged" {
  golden mastodon-puma
}

@test "a one-liner with a process solodyno cannot name: the Procfile is kept as it is, with a warning" {
  golden mastodon-unmappable
  assert_output --partial "runs 'bin/tunnel', and solodyno cannot tell which process that is"
  assert_output --partial "The Procfile is left as it is"
  assert_output --partial "Process layout: none; web runs the app's own command"
}

@test "duplicate process types: the last one wins, with a warning naming both lines" {
  golden mastodon-duplicates
  assert_output --partial "Procfile, line 3: process type 'web' is defined again (first on line 1); the last one wins"
  assert_output --partial "Procfile, line 5: process type 'release' is defined again (first on line 4); the last one wins"
}

@test "generic app: app member is its web command, worker@RUN_WORKER its worker; no release added or guarded" {
  golden generic
  assert_output --partial "App: not Mastodon"
  assert_output --partial "Process layout: web runs app, worker@RUN_WORKER (Procfile.web)"
}

@test "generic app with a one-liner: its puma and sidekiq become app and worker" {
  golden generic-oneliner
}

@test "generic app with a compound web command: kept whole as the app member" {
  golden generic-compound
}

@test "odd lines (no colon, empty name, bad name, empty value, tabs, 64-char name) are kept with warnings naming the line" {
  golden odd-lines
  assert_output --partial "Procfile, line 2: 'worker bundle exec sidekiq' has no colon after the name; read as Heroku does"
  assert_output --partial "Procfile, line 3: ': no name' is kept as it is, but not understood"
  assert_output --partial "Procfile, line 4: 'web.1: invalid name' is kept as it is, but not understood"
  assert_output --partial "Procfile, line 5: 'empty:' is kept as it is, but not understood: expected a command after the colon"
  assert_output --partial "Procfile, line 8: 'nnnn"
  assert_output --partial "the name is longer than 63 characters"
}

# ---- no Procfile ----------------------------------------------------------------

@test "Mastodon without a Procfile gets the full default layout" {
  use_fixture mastodon
  rm "$APP/Procfile"
  compile_app
  assert_success
  assert_output --partial "No Procfile: Mastodon's default layout"
  run diff -u "$GOLDEN/mastodon-upstream/Procfile.expected" "$APP/Procfile"
  assert_success
  run diff -u <(grep -v '^#' "$GOLDEN/mastodon-upstream/Procfile.web.expected") <(grep -v '^#' "$APP/Procfile.web")
  assert_success
  assert_file_not_exists "$APP/Procfile.orig"
}

@test "a generic app without a Procfile: a warning, no layout, the other steps still run" {
  use_fixture no-procfile
  compile_app
  assert_success
  assert_output --partial "No Procfile: a generic app needs one with a web line"
  assert_output --partial "Process layout: none (no Procfile)"
  assert_file_not_exists "$APP/Procfile"
  assert_file_not_exists "$APP/Procfile.web"
  assert_file_exists "$APP/.solodyno/app-facts"
  assert_file_executable "$APP/.solodyno/bin/solodyno"
}

@test "a generic Procfile without a web line: a warning, nothing written" {
  use_fixture rails-generic
  printf 'worker: bundle exec sidekiq\n' >"$APP/Procfile"
  compile_app
  assert_success
  assert_output --partial "The Procfile has no web process type: no one-dyno layout"
  run cat "$APP/Procfile"
  assert_output "worker: bundle exec sidekiq"
  assert_file_not_exists "$APP/Procfile.web"
}

# ---- bad input in the app's Procfile: kept, warned, the build goes on -----------

@test "CRLF line endings are kept on every line" {
  use_fixture mastodon
  printf 'web: bin/heroku-web\r\nworker: bundle exec sidekiq\r\n# note\r\n' >"$APP/Procfile"
  compile_app
  assert_success
  run od -An -c "$APP/Procfile"
  printf 'web: solodyno run Procfile.web\r\nworker: bundle exec sidekiq -c "${SIDEKIQ_THREADS:-5}"\r\n# note\r\nrelease: if [ "$RUN_STREAMING" != "true" ]; then bundle exec rails db:migrate; else echo "Not migrating on this app (RUN_STREAMING=true)"; fi\r\n' >"$BATS_TEST_TMPDIR/want"
  cmp "$BATS_TEST_TMPDIR/want" "$APP/Procfile"
}

@test "a UTF-8 byte order mark is kept" {
  use_fixture rails-generic
  printf '\xef\xbb\xbfweb: bundle exec puma\nworker: bundle exec sidekiq -c 3\n' >"$APP/Procfile"
  compile_app
  assert_success
  printf '\xef\xbb\xbfweb: solodyno run Procfile.web\nworker: bundle exec sidekiq -c 3\n' >"$BATS_TEST_TMPDIR/want"
  cmp "$BATS_TEST_TMPDIR/want" "$APP/Procfile"
  run grep -v '^#' "$APP/Procfile.web"
  assert_output $'app: bundle exec puma\nworker@RUN_WORKER: bundle exec sidekiq -c 3'
}

@test "a Procfile without a trailing newline is read whole" {
  use_fixture rails-generic
  printf 'web: bundle exec puma\nworker: bundle exec sidekiq' >"$APP/Procfile"
  compile_app
  assert_success
  run grep -v '^#' "$APP/Procfile.web"
  assert_output $'app: bundle exec puma\nworker@RUN_WORKER: bundle exec sidekiq -c "${SIDEKIQ_THREADS:-5}"'
}

@test "tabs around the colon are read as spaces" {
  use_fixture rails-generic
  printf 'web:\tbundle exec puma\t\nworker\t\tbundle exec sidekiq -c 2\n' >"$APP/Procfile"
  compile_app
  assert_success
  run grep -v '^#' "$APP/Procfile.web"
  assert_output $'app: bundle exec puma\nworker@RUN_WORKER: bundle exec sidekiq -c 2'
}

@test "a NUL byte in another line: kept byte for byte, the layout goes on" {
  use_fixture mastodon
  printf 'web: bin/heroku-web\nworker: bundle exec sidekiq -c 2\nodd: echo a\0b\n' >"$APP/Procfile"
  compile_app
  assert_success
  assert_output --partial "Procfile, line 3: 'odd: echo a?b' is kept as it is, but not understood: contains a NUL byte"
  run bash -c "head -c 60 '$APP/Procfile' | head -n 1"
  assert_output "web: solodyno run Procfile.web"
  # the odd line, NUL and all, is still there
  run python3 -c 'import sys; print(b"odd: echo a\0b\n" in open(sys.argv[1],"rb").read())' "$APP/Procfile"
  assert_output "True"
}

@test "a NUL byte in the web line: the Procfile is kept as it is (it cannot go into Procfile.web)" {
  use_fixture mastodon
  printf 'web: bundle exec puma\0 -C x\nworker: bundle exec sidekiq\n' >"$APP/Procfile"
  cp "$APP/Procfile" "$BATS_TEST_TMPDIR/before"
  compile_app
  assert_success
  assert_output --partial "Procfile, line 1: the web line is not one solodyno can read"
  cmp "$BATS_TEST_TMPDIR/before" "$APP/Procfile"
  assert_file_not_exists "$APP/Procfile.web"
  assert_file_not_exists "$APP/Procfile.orig"
}

@test "invalid UTF-8 in the worker line: that line is kept byte for byte, with a warning naming it; the layout goes on" {
  use_fixture mastodon
  printf 'web: bin/heroku-web\nworker: bundle exec sidekiq -q caf\xe9\n' >"$APP/Procfile"
  cp "$APP/Procfile" "$BATS_TEST_TMPDIR/before"
  compile_app
  assert_success
  assert_output --partial "Procfile, line 2: 'worker: bundle exec sidekiq -q caf?' is kept as it is, but not understood: is not valid UTF-8"
  assert_output --partial "Procfile, line 2: the worker line is not one solodyno can read (see above): it is kept as it is, and Sidekiq on the web dyno (RUN_WORKER=true) runs Mastodon's default"
  run sed -n 2p "$APP/Procfile"
  assert_output "$(sed -n 2p "$BATS_TEST_TMPDIR/before")"
  run sed -n 1p "$APP/Procfile"
  assert_output "web: solodyno run Procfile.web"
  run grep '^sidekiq@RUN_WORKER: ' "$APP/Procfile.web"
  assert_output 'sidekiq@RUN_WORKER: bundle exec sidekiq -c "${SIDEKIQ_THREADS:-5}"'
  cmp "$BATS_TEST_TMPDIR/before" "$APP/Procfile.orig"
  # a second build changes nothing, and says the same
  cp "$APP/Procfile" "$BATS_TEST_TMPDIR/after"
  compile_app
  assert_success
  assert_output --partial "Procfile, line 2: the worker line is not one solodyno can read"
  cmp "$BATS_TEST_TMPDIR/after" "$APP/Procfile"
}

@test "a worker command the shell reader cannot follow (a sub-shell) is kept, with a warning naming it" {
  use_fixture mastodon
  printf 'web: bin/heroku-web\nworker: (cd . && bundle exec sidekiq -q default)\n' >"$APP/Procfile"
  compile_app
  assert_success
  assert_output --partial "Procfile, line 2 (worker): solodyno cannot read this command (it has a sub-shell or function); it is kept as it is"
  run sed -n 2p "$APP/Procfile"
  assert_output "worker: (cd . && bundle exec sidekiq -q default)"
  run grep '@RUN_WORKER: ' "$APP/Procfile.web"
  assert_output 'worker@RUN_WORKER: (cd . && bundle exec sidekiq -q default)'
}

@test "invalid UTF-8 in a script the web line names: it cannot go into Procfile.web, the Procfile is kept" {
  use_fixture mastodon
  printf '#!/bin/bash\nif [ "$RUN_STREAMING" != "true" ]; then bundle exec puma -C caf\xe9.rb; else node ./streaming; fi\n' >"$APP/bin/heroku-web"
  compile_app
  assert_success
  assert_output --partial "cannot go into Procfile.web"
  assert_output --partial "is not valid UTF-8"
  run cat "$APP/Procfile"
  assert_output $'web: bin/heroku-web\nworker: bundle exec sidekiq'
  assert_file_not_exists "$APP/Procfile.web"
}

@test "a 1 MiB line is kept verbatim with a warning, the layout goes on" {
  use_fixture mastodon
  {
    printf 'web: bin/heroku-web\nbig: echo '
    head -c 1048576 /dev/zero | tr '\0' x
    printf '\nworker: bundle exec sidekiq\n'
  } >"$APP/Procfile"
  compile_app
  assert_success
  assert_output --partial "Procfile, line 2: 'big: echo xxxx"
  assert_output --partial "is longer than 64 KiB"
  run bash -c "sed -n 2p '$APP/Procfile' | wc -c"
  assert_output "$((1048576 + 11))"
  assert_file_exists "$APP/Procfile.web"
}

@test "a Procfile that is a directory: a warning, nothing written, the build goes on" {
  use_fixture mastodon
  rm "$APP/Procfile"
  mkdir "$APP/Procfile"
  compile_app
  assert_success
  assert_output --partial "Procfile: it is a directory, not a file. No one-dyno layout; the build goes on."
  assert_file_not_exists "$APP/Procfile.web"
  assert_file_not_exists "$APP/Procfile.orig"
}

@test "an unreadable Procfile: a warning, nothing written, the build goes on" {
  # root reads anything: as root, build as nobody, who cannot read a mode-000
  # file, in a directory nobody can reach.
  local base
  base=$(mktemp -d /tmp/solodyno-unreadable.XXXXXX)
  chmod 755 "$base"
  cp -a "$FIXTURES/mastodon" "$base/app"
  mkdir -p "$base/cache" "$base/env"
  local -a as_user=()
  if [[ "$(id -u)" == 0 ]]; then
    chown -R nobody:nogroup "$base/app" "$base/cache" "$base/env"
    as_user=(setpriv --reuid=nobody --regid=nogroup --clear-groups env HOME=/tmp)
  fi
  chmod 000 "$base/app/Procfile"
  run "${as_user[@]}" "$BP_DIR/bin/compile" "$base/app" "$base/cache" "$base/env"
  chmod 644 "$base/app/Procfile"
  local web_exists=no
  [[ -e "$base/app/Procfile.web" ]] && web_exists=yes
  rm -rf "$base"
  assert_success
  assert_output --partial "Procfile: Permission denied. No one-dyno layout; the build goes on."
  assert_equal "$web_exists" no
}

@test "a Procfile that is a FIFO is refused without hanging" {
  use_fixture mastodon
  rm "$APP/Procfile"
  mkfifo "$APP/Procfile"
  compile_app
  assert_success
  assert_output --partial "Procfile: it is not a regular file"
}

@test "a Procfile symlinked out of the app is refused: nothing read or written outside" {
  use_fixture mastodon
  mkdir -p "$BATS_TEST_TMPDIR/outside"
  printf 'web: bin/heroku-web\n' >"$BATS_TEST_TMPDIR/outside/Procfile"
  rm "$APP/Procfile"
  ln -s "$BATS_TEST_TMPDIR/outside/Procfile" "$APP/Procfile"
  compile_app
  assert_success
  assert_output --partial "Procfile: refusing to read or write it: it is a symlink leading outside the app directory"
  run cat "$BATS_TEST_TMPDIR/outside/Procfile"
  assert_output "web: bin/heroku-web"
  run ls -A "$BATS_TEST_TMPDIR/outside"
  assert_output "Procfile"
  assert_file_not_exists "$APP/Procfile.web"
}

@test "a Procfile.orig symlinked out of the app: refused, the Procfile is left as it is" {
  use_fixture mastodon
  mkdir -p "$BATS_TEST_TMPDIR/outside"
  ln -s "$BATS_TEST_TMPDIR/outside/Procfile.orig" "$APP/Procfile.orig"
  compile_app
  assert_success
  assert_output --partial "Cannot write the layout"
  run ls -A "$BATS_TEST_TMPDIR/outside"
  assert_output ""
  run cat "$APP/Procfile"
  assert_output $'web: bin/heroku-web\nworker: bundle exec sidekiq'
  assert_file_not_exists "$APP/Procfile.web"
}

@test "bin/heroku-web symlinked out of the app is not read: the Procfile is kept" {
  use_fixture mastodon
  mkdir -p "$BATS_TEST_TMPDIR/outside"
  cp "$APP/bin/heroku-web" "$BATS_TEST_TMPDIR/outside/"
  rm "$APP/bin/heroku-web"
  ln -s "$BATS_TEST_TMPDIR/outside/heroku-web" "$APP/bin/heroku-web"
  compile_app
  assert_success
  assert_output --partial "runs bin/heroku-web, which cannot be read (it is a symlink leading outside the app directory)"
  assert_file_not_exists "$APP/Procfile.web"
}

@test "a Mastodon app whose bin/heroku-web is missing: upstream's content is used, with a warning" {
  use_fixture mastodon
  rm "$APP/bin/heroku-web"
  compile_app
  assert_success
  assert_output --partial "runs bin/heroku-web, which the app does not have; using upstream Mastodon's"
  run diff -u "$GOLDEN/mastodon-upstream/Procfile.web.expected" "$APP/Procfile.web"
  assert_success
}

# ---- Procfile.web: the app's own is never overwritten, but checked strictly ------

@test "an app's own Procfile.web is never overwritten; the web line points to it" {
  use_fixture mastodon
  printf '# mine\nweb1: BIND=0.0.0.0 bundle exec puma -C config/puma.rb\nside@RUN_WORKER:\tbundle exec sidekiq -c 1\r\n' >"$APP/Procfile.web"
  cp "$APP/Procfile.web" "$BATS_TEST_TMPDIR/mine"
  compile_app
  assert_success
  assert_output --partial "the app's own Procfile.web, kept as it is"
  cmp "$BATS_TEST_TMPDIR/mine" "$APP/Procfile.web"
  run head -n 1 "$APP/Procfile"
  assert_output "web: solodyno run Procfile.web"
  run grep -c . "$APP/Procfile.orig"
  assert_output "2"
}

@test "an app's own Procfile.web with CRLF, a BOM, tabs and no final newline is accepted" {
  use_fixture mastodon
  printf '\xef\xbb\xbfpuma@!RUN_STREAMING:\tbundle exec puma\r\nsidekiq@RUN_WORKER: bundle exec sidekiq' >"$APP/Procfile.web"
  cp "$APP/Procfile.web" "$BATS_TEST_TMPDIR/mine"
  compile_app
  assert_success
  cmp "$BATS_TEST_TMPDIR/mine" "$APP/Procfile.web"
}

# strict_web_fails CONTENT EXPECTED...: a Procfile.web with CONTENT (printf
# escapes such as \n, \0, \xff expanded) fails the build with each EXPECTED
# text in the log, and nothing is changed.
strict_web_fails() {
  use_fixture mastodon
  printf '%b' "$1" >"$APP/Procfile.web"
  shift
  cp "$APP/Procfile" "$BATS_TEST_TMPDIR/before"
  compile_app
  assert_failure
  local e
  for e in "$@"; do assert_output --partial "$e"; done
  cmp "$BATS_TEST_TMPDIR/before" "$APP/Procfile"
  assert_file_not_exists "$APP/Procfile.orig"
}

@test "Procfile.web: a line without a colon fails the build, naming file and line" {
  strict_web_fails 'puma: bundle exec puma\nsidekiq bundle exec sidekiq\n' \
    "Procfile.web, line 2: 'sidekiq bundle exec sidekiq' is not valid: expected NAME[@VAR|@!VAR]...: COMMAND"
}

@test "Procfile.web: an empty name fails the build" {
  strict_web_fails ': bundle exec puma\n' "Procfile.web, line 1: ': bundle exec puma' is not valid: expected NAME: COMMAND, where NAME is letters"
}

@test "Procfile.web: a name with invalid characters fails the build" {
  strict_web_fails 'puma.1: bundle exec puma\n' "Procfile.web, line 1: 'puma.1: bundle exec puma' is not valid"
}

@test "Procfile.web: a name longer than 63 characters fails the build" {
  strict_web_fails "$(printf 'n%.0s' $(seq 64)): x\n" "Procfile.web, line 1:" "the name is longer than 63 characters"
}

@test "Procfile.web: an empty command fails the build" {
  strict_web_fails '# c\n\npuma:   \n' "Procfile.web, line 3: 'puma:   ' is not valid: expected a command after the colon, found nothing"
}

@test "Procfile.web: a NUL byte fails the build" {
  strict_web_fails 'puma: bundle\0exec puma\n' "Procfile.web, line 1:" "contains a NUL byte"
}

@test "Procfile.web: invalid UTF-8 fails the build" {
  strict_web_fails 'puma: bundle exec puma \xc3\x28\n' "Procfile.web, line 1:" "is not valid UTF-8"
}

@test "Procfile.web: a 1 MiB line fails the build" {
  use_fixture mastodon
  { printf 'puma: echo '; head -c 1048576 /dev/zero | tr '\0' x; printf '\n'; } >"$APP/Procfile.web"
  compile_app
  assert_failure
  assert_output --partial "Procfile.web, line 1: 'puma: echo xxx"
  assert_output --partial "is longer than 64 KiB"
}

@test "Procfile.web: '@' without a variable fails the build" {
  strict_web_fails 'puma@: bundle exec puma\n' "Procfile.web, line 1: 'puma@: bundle exec puma' is not valid: expected a variable name after '@' or '@!'"
}

@test "Procfile.web: '@!' without a variable fails the build" {
  strict_web_fails 'puma@!: bundle exec puma\n' "Procfile.web, line 1: 'puma@!: bundle exec puma' is not valid: expected a variable name after '@' or '@!'"
}

@test "Procfile.web: '@1VAR' (a variable starting with a digit) fails the build" {
  strict_web_fails 'puma: a\nworker@1VAR: bundle exec sidekiq\n' "Procfile.web, line 2: 'worker@1VAR: bundle exec sidekiq' is not valid: expected a variable name"
}

@test "Procfile.web: a duplicate member fails the build" {
  strict_web_fails 'puma: a\npuma: b\n' "Procfile.web, line 2: member 'puma' is already defined on line 1"
}

@test "Procfile.web: no member at all fails the build" {
  strict_web_fails '# nothing\n\n' "Procfile.web has no members"
}

@test "Procfile.web: a directory fails the build" {
  use_fixture mastodon
  mkdir "$APP/Procfile.web"
  compile_app
  assert_failure
  assert_output --partial "Procfile.web is a directory"
}

@test "Procfile.web symlinked out of the app fails the build; nothing written outside" {
  use_fixture mastodon
  mkdir -p "$BATS_TEST_TMPDIR/outside"
  ln -s "$BATS_TEST_TMPDIR/outside/Procfile.web" "$APP/Procfile.web"
  compile_app
  assert_failure
  assert_output --partial "Procfile.web: refusing to read it"
  run ls -A "$BATS_TEST_TMPDIR/outside"
  assert_output ""
}

@test "a web line that runs solodyno run Procfile.web without a Procfile.web fails the build" {
  use_fixture mastodon
  printf 'web: solodyno run Procfile.web\n' >"$APP/Procfile"
  compile_app
  assert_failure
  assert_output --partial "Procfile, line 1: web runs 'solodyno run Procfile.web', but the app has no Procfile.web"
}

# ---- the opt-out and config vars ------------------------------------------------

@test "SOLODYNO_PROCFILE=keep leaves the Procfile alone, says so, and still records the app's facts" {
  use_fixture mastodon
  config_var SOLODYNO_PROCFILE keep
  compile_app
  assert_success
  assert_output --partial "SOLODYNO_PROCFILE=keep: the Procfile is left as it is"
  assert_output --partial "Process layout: none, the Procfile is left as it is (SOLODYNO_PROCFILE=keep)"
  run cat "$APP/Procfile"
  assert_output $'web: bin/heroku-web\nworker: bundle exec sidekiq'
  assert_file_not_exists "$APP/Procfile.web"
  assert_file_not_exists "$APP/Procfile.orig"
  run cat "$APP/.solodyno/app-facts"
  assert_output --partial "mastodon=true"
  assert_output --partial "mastodon_version=4.3.2"
}

@test "a SOLODYNO_PROCFILE value with a newline is ignored with a warning" {
  use_fixture mastodon
  printf 'keep\nkeep\n' >"$ENV_DIR/SOLODYNO_PROCFILE"
  compile_app
  assert_success
  assert_output --partial "SOLODYNO_PROCFILE: expected a one-line value, found a line break or NUL byte; ignoring it"
  assert_file_exists "$APP/Procfile.web"
}

@test "an unknown SOLODYNO_PROCFILE value is ignored with a warning naming the only value" {
  use_fixture mastodon
  config_var SOLODYNO_PROCFILE "$(printf 'nope\033[31m')"
  compile_app
  assert_success
  assert_output --partial "SOLODYNO_PROCFILE='nope?[31m' is not understood (the only value is 'keep'); ignoring it"
  assert_file_exists "$APP/Procfile.web"
}

# ---- the app's facts ------------------------------------------------------------

@test "the build records the app's facts: Mastodon's version and the knobs its code reads, with file and line" {
  use_fixture mastodon
  mkdir -p "$APP/config/initializers"
  printf "Rack::Timeout.service_timeout = ENV.fetch('SERVICE_TIMEOUT', 15).to_i\n" >"$APP/config/initializers/timeout.rb"
  compile_app
  assert_success
  assert_output --partial "App: Mastodon 4.3.2"
  assert_output --partial "Its code reads: SERVICE_TIMEOUT (config/initializers/timeout.rb:1), SIDEKIQ_CONCURRENCY (config/sidekiq.yml:2)"
  run cat "$APP/.solodyno/app-facts"
  assert_line "mastodon=true"
  assert_line "mastodon_version=4.3.2"
  # the 4.3 tree: app/lib/request_pool.rb's WAIT_TIMEOUT is a constant, the
  # streaming server has no cluster (a comment names STREAMING_CLUSTER_NUM)
  assert_line "reads=SERVICE_TIMEOUT,SIDEKIQ_CONCURRENCY,DB_POOL,MAX_THREADS,WEB_CONCURRENCY"
  assert_line "read.DB_POOL=config/database.yml:3"
}

@test "knob names in constants, comments and strings beside real reads (.rb, .yml ERB, .js): only the reads count" {
  use_fixture mastodon-fork-2018
  compile_app
  assert_success
  assert_output --partial "App: Mastodon 2.4.0rc2"
  run cat "$APP/.solodyno/app-facts"
  assert_line "mastodon_version=2.4.0rc2"
  # the fork's own initializer reads the timeouts; the streaming server's
  # destructuring reads STREAMING_CLUSTER_NUM (not the Ruby constant of that
  # name); SIDEKIQ_CONCURRENCY is only in a YAML comment and a string, and
  # SERVICE_TIMEOUT in app/javascript is the browser's
  assert_line "reads=SERVICE_TIMEOUT,WAIT_TIMEOUT,STREAMING_CLUSTER_NUM,DB_POOL,MAX_THREADS,WEB_CONCURRENCY"
  assert_line "read.SERVICE_TIMEOUT=config/initializers/timeout.rb:4"
  assert_line "read.WAIT_TIMEOUT=config/initializers/timeout.rb:5"
  assert_line "read.STREAMING_CLUSTER_NUM=streaming/index.js:12"
}

@test "every version.rb format: the version is recorded as written, prerelease and all" {
  use_fixture mastodon
  local vr="$APP/lib/mastodon/version.rb"
  sed -i "s/^      ''$/      'alpha.1'/; s/^      3$/      8/; s/^      2$/      0/" "$vr"
  compile_app
  assert_success
  assert_output --partial "App: Mastodon 4.8.0-alpha.1"
  run grep '^mastodon_version=' "$APP/.solodyno/app-facts"
  assert_output "mastodon_version=4.8.0-alpha.1"
  use_fixture mastodon-1.4
  printf "# frozen_string_literal: true\n\nmodule Mastodon\n  VERSION = '1.2.2'\nend\n" >"$APP/lib/mastodon/version.rb"
  compile_app
  assert_success
  assert_output --partial "App: Mastodon 1.2.2"
  # before 1.2.2 there was no version.rb: still Mastodon, by its application
  rm "$APP/lib/mastodon/version.rb"
  printf "module Mastodon\n  class Application < Rails::Application\n  end\nend\n" >"$APP/config/application.rb"
  compile_app
  assert_success
  assert_output --partial "App: Mastodon, version unknown"
  run grep '^streaming@' "$APP/Procfile.web"
  assert_output 'streaming@RUN_STREAMING: BIND=${BIND:-0.0.0.0} npm start'
}

@test "issue 15 item 6: the app-facts scan never reads outside the app (a root symlinked to / or out, links below a root)" {
  use_fixture rails-generic
  local out="$BATS_TEST_TMPDIR/elsewhere"
  mkdir -p "$out/lib/mastodon" "$out/initializers"
  printf "x = ENV.fetch('SERVICE_TIMEOUT', 1)\n" >"$out/initializers/t.rb"
  printf "module Mastodon\n  VERSION = '9.9.9'\nend\n" >"$out/lib/mastodon/version.rb"
  ln -s / "$APP/app"
  ln -s "$out/lib" "$APP/lib"
  ln -s "$out/initializers" "$APP/config/initializers"
  mkdir -p "$APP/streaming"
  ln -s "$out/initializers/t.rb" "$APP/streaming/t.rb"
  ln -s .. "$APP/streaming/up"
  strace_log="$BATS_TEST_TMPDIR/opens"
  if command -v strace >/dev/null; then
    # (LeakSanitizer cannot run under ptrace: off for this one build)
    ASAN_OPTIONS="$ASAN_OPTIONS:detect_leaks=0" \
      run strace -f -y -e trace=open,openat -o "$strace_log" "$BP_DIR/bin/compile" "$APP" "$SHARED_CACHE" "$ENV_DIR"
  else
    compile_app
  fi
  assert_success
  assert_output --partial "App: not Mastodon"
  run cat "$APP/.solodyno/app-facts"
  assert_line "reads=RAILS_MAX_THREADS"
  if [[ -f "$strace_log" ]]; then
    # no step of the build opened anything in the outside tree
    run grep -F "$out/" "$strace_log"
    assert_output ""
  fi
}

@test "a generic app's facts say it is not Mastodon" {
  use_fixture rails-generic
  compile_app
  assert_success
  run cat "$APP/.solodyno/app-facts"
  assert_line "mastodon=false"
  refute_line --partial "mastodon_version"
}

# ---- what the layout's commands do ----------------------------------------------

# release_of: the release command of the built Procfile.
release_of() {
  sed -n 's/^release: //p' "$APP/Procfile"
}

@test "the guarded release migrates, && chain and all, and does nothing on a streaming app" {
  golden mastodon-release
  local release
  release=$(release_of)
  run env -i PATH="$STUBS:/usr/bin:/bin" STUB_LOG="$STUB_LOG" bash -c "cd '$APP' && $release"
  assert_success
  assert_line "stub rails: db:migrate"
  assert_line "stub rails: runner Rails.cache.clear"
  rm -f "$STUB_LOG"/*
  run env -i PATH="$STUBS:/usr/bin:/bin" STUB_LOG="$STUB_LOG" RUN_STREAMING=true bash -c "cd '$APP' && $release"
  assert_success
  assert_output "Not migrating on this app (RUN_STREAMING=true)"
  run stub_records rails
  assert_output ""
}

@test "a guarded release does exactly what the original did: output and exit status" {
  local -a releases=(
    'echo "a  b" && echo '"'"'c # d'"'"' # a comment'
    'false || echo recovered; echo "it'"'"'s"'
    'echo one; exit 3'
    'test -n "$RUN_WORKER" && echo worker || echo none'
    'for i in 1 2; do echo $i; done'
    'echo $((1 + 2)) $(echo sub) `echo back` >&2'
  )
  local r want_out want_status
  for r in "${releases[@]}"; do
    use_fixture mastodon
    printf 'web: bin/heroku-web\nrelease: %s\n' "$r" >"$APP/Procfile"
    compile_app
    assert_success
    run bash -c "$r" 2>&1
    want_out=$output want_status=$status
    run bash -c "$(release_of)" 2>&1
    assert_equal "$output" "$want_out"
    assert_equal "$status" "$want_status"
  done
}

@test "the sidekiq member's -c reads SIDEKIQ_THREADS at run time, 5 without it" {
  golden mastodon-upstream
  local cmd
  cmd=$(sed -n 's/^sidekiq@RUN_WORKER: //p' "$APP/Procfile.web")
  local threads
  for threads in 2 ""; do
    rm -f "$STUB_LOG"/*
    env -i PATH="$STUBS:/usr/bin:/bin" STUB_LOG="$STUB_LOG" ${threads:+SIDEKIQ_THREADS=$threads} \
      bash -c "$cmd" >/dev/null 2>&1 3>&- &
    local pid=$!
    wait_until 20 stub_started sidekiq
    kill -TERM "$pid"
    wait "$pid" || true
    run stub_argv sidekiq
    assert_output $'sidekiq\n-c\n'"${threads:-5}"
  done
}

# ---- the parser's unit tests ---------------------------------------------------

@test "unit: shell lexer, one-liner shapes, Sidekiq -c, release guard" {
  run "$SOLODYNO_BUILD_DIR/unit/test_oneliner"
  assert_success
}

@test "unit: the layout from a Procfile (every shape, idempotent, kept when not understood)" {
  run "$SOLODYNO_BUILD_DIR/unit/test_procfile_layout"
  assert_success
}
