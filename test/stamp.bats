#!/usr/bin/env bats
# solodyno stamp, through the real bin/compile on a copy of a fixture: where the
# source version comes from (SOURCE_VERSION, the config var, the app's .git read
# without git, unknown), what is refused, and what is written.

load test_helper

setup() {
  common_setup
  # Only what a test sets: CI may have its own SOURCE_VERSION or git identity.
  unset SOURCE_VERSION
  export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
  export GIT_AUTHOR_NAME=tester GIT_AUTHOR_EMAIL=tester@example.com
  export GIT_COMMITTER_NAME=tester GIT_COMMITTER_EMAIL=tester@example.com
  use_fixture rails-generic
}

stamp() { cat "$APP/.solodyno/source-version"; }

# The app becomes a git repository with one commit on branch main.
git_app() {
  git -C "$APP" init -q -b main
  git -C "$APP" add -A
  git -C "$APP" commit -q -m "first"
}

# The build went on, recorded "unknown" and said why.
assert_unknown() {
  assert_success
  assert_equal "$(stamp)" "unknown"
  assert_output --partial "The source version is unknown"
  assert_output --partial "source version: unknown"
}

HASH=0123456789abcdef0123456789abcdef01234567

# ---- order of the sources ---------------------------------------------------

@test "SOURCE_VERSION from the build environment is recorded, lowercased, and the log names it" {
  git_app
  config_var SOURCE_VERSION feedfacefeedface
  SOURCE_VERSION=0123456789ABCDEF0123456789abcdef01234567 compile_app
  assert_success
  assert_equal "$(stamp)" "$HASH"
  assert_output --partial "$HASH (from SOURCE_VERSION, set by the platform for this build)"
  assert_output --partial "source version: $HASH"
  # Exactly one line: the 40 digits and a newline.
  run python3 -c 'import sys; print(repr(open(sys.argv[1], "rb").read()))' "$APP/.solodyno/source-version"
  assert_output "b'$HASH\\n'"
}

@test "without it, the config var SOURCE_VERSION is used (a trailing newline is fine)" {
  git_app
  echo "release/2024-06.1" >"$ENV_DIR/SOURCE_VERSION"
  compile_app
  assert_success
  assert_equal "$(stamp)" "release/2024-06.1"
  assert_output --partial "release/2024-06.1 (from the config var SOURCE_VERSION)"
}

@test "a refused SOURCE_VERSION falls through to the config var, then to .git" {
  git_app
  config_var SOURCE_VERSION 'not valid'
  SOURCE_VERSION='also not valid' compile_app
  assert_success
  assert_equal "$(stamp)" "$(git -C "$APP" rev-parse HEAD)"
  assert_output --partial " !     SOURCE_VERSION in the build environment: expected a commit hash"
  assert_output --partial " !     the config var SOURCE_VERSION (ENV_DIR/SOURCE_VERSION): expected a commit hash"
  assert_output --partial "(from the app's .git, branch main)"
}

@test "an empty SOURCE_VERSION counts as not set" {
  config_var SOURCE_VERSION ""
  SOURCE_VERSION="" compile_app
  assert_unknown
  refute_output --partial "expected a commit hash"
}

@test "no SOURCE_VERSION and no .git: unknown, with a warning, and the build goes on" {
  compile_app
  assert_unknown
  assert_output --partial "HEROKU_SLUG_COMMIT stands in"
  assert_file_executable "$APP/.solodyno/bin/solodyno"
}

@test "accepted shapes: 7 and 64 hex digits, ref names up to 128 characters" {
  local v long
  long=$(printf 'r%.0s' {1..128})
  for v in abcdef0 "$(printf 'a%.0s' {1..64})" v4.3.2 main feature/x_y-z "$long" 2024 ABCDEF0; do
    SOURCE_VERSION=$v compile_app
    assert_success
    if [[ "$v" == ABCDEF0 ]]; then v=abcdef0; fi
    [[ "$(stamp)" == "$v" ]] || { echo "value '$v' was stored as '$(stamp)'"; return 1; }
  done
}

# ---- hostile values ------------------------------------------------------------

# Values that must never reach the stamp, the app's environment or the log raw.
hostile_values() {
  HOSTILE=(
    "it's"
    'say "hi"'
    'two words'
    '$(touch PWNED)'
    '`touch PWNED`'
    '${HOME}'
    'a;touch PWNED'
    'a|b'
    $'abc\ndef'
    $'abc\rdef'
    $'\e[31mred'
    $'abc\x01def'
    $'tab\there'
    $'caf\xc3\xa9'
    "$(printf 'a%.0s' {1..129})"
    "$(printf 'f%.0s' {1..65})"
    '-rf'
    '../../etc/passwd'
    '/etc/passwd'
    'a//b'
    'trailing/'
    'unknown'
  )
}

# check_refused SOURCE_TEXT VALUE: after compile_app, nothing of VALUE was used.
check_refused() {
  local source=$1 v=$2
  if [[ "$status" -ne 0 ]]; then echo "build failed for $(printf '%q' "$v")"; return 1; fi
  if [[ "$(stamp)" != unknown ]]; then echo "$(printf '%q' "$v") was recorded as $(stamp)"; return 1; fi
  if [[ "$output" != *" !     "*"$source"* ]]; then
    echo "no warning naming $source for $(printf '%q' "$v")"
    return 1
  fi
  # No raw control bytes reached the build log.
  if [[ "$output" == *$'\e'* || "$output" == *$'\x01'* || "$output" == *$'\r'* ]]; then
    echo "raw bytes in the log for $(printf '%q' "$v")"
    return 1
  fi
  if [[ -e "$APP/PWNED" || -e "$BATS_TEST_TMPDIR/PWNED" || -e PWNED ]]; then
    echo "a command ran"
    return 1
  fi
}

@test "hostile SOURCE_VERSION values in the build environment are refused with a warning" {
  hostile_values
  local v
  for v in "${HOSTILE[@]}"; do
    use_fixture rails-generic
    SOURCE_VERSION=$v compile_app
    check_refused "SOURCE_VERSION in the build environment" "$v"
  done
}

@test "hostile config var SOURCE_VERSION values are refused with a warning naming the file or var" {
  hostile_values
  local v
  for v in "${HOSTILE[@]}"; do
    use_fixture rails-generic
    config_var SOURCE_VERSION "$v"
    compile_app
    check_refused "SOURCE_VERSION" "$v"
  done
  # A NUL byte and a value over 64 KiB (printf cannot put those in a variable).
  use_fixture rails-generic
  printf 'abc\0def' >"$ENV_DIR/SOURCE_VERSION"
  compile_app
  check_refused "SOURCE_VERSION" "NUL"
  use_fixture rails-generic
  head -c 70000 /dev/zero | tr '\0' a >"$ENV_DIR/SOURCE_VERSION"
  compile_app
  check_refused "SOURCE_VERSION" "70000 bytes"
}

@test "the warning says what is wrong without quoting the raw bytes" {
  SOURCE_VERSION=$'ab\e[2Jcd' compile_app
  assert_success
  assert_output --partial "found a control byte (0x1b) at character 3; ignoring it"
  SOURCE_VERSION='abc def' compile_app
  assert_output --partial "found a space at character 4"
  SOURCE_VERSION="$(printf 'x%.0s' {1..300})" compile_app
  assert_output --partial "found a value 300 characters long (at most 128)"
}

# ---- the app's .git, read without git -----------------------------------------

@test ".git: HEAD on a branch with a loose ref" {
  git_app
  assert_file_exist "$APP/.git/refs/heads/main"
  compile_app
  assert_success
  assert_equal "$(stamp)" "$(git -C "$APP" rev-parse HEAD)"
  assert_output --partial "(from the app's .git, branch main)"
}

@test ".git: detached HEAD" {
  git_app
  git -C "$APP" commit -q --allow-empty -m second
  git -C "$APP" checkout -q --detach HEAD~1
  local first
  first=$(git -C "$APP" rev-parse HEAD)
  [[ "$first" != "$(git -C "$APP" rev-parse main)" ]]
  compile_app
  assert_success
  assert_equal "$(stamp)" "$first"
  assert_output --partial "(from the app's .git, detached HEAD)"
}

@test ".git: the branch only in packed-refs (after git pack-refs --all), among tags with peeled lines" {
  git_app
  git -C "$APP" tag -a v0.9 -m "annotated before"
  git -C "$APP" commit -q --allow-empty -m second
  git -C "$APP" tag -a v1.0 -m "annotated after"
  git -C "$APP" tag light
  git -C "$APP" pack-refs --all
  assert_file_not_exist "$APP/.git/refs/heads/main"
  run grep -c '^\^' "$APP/.git/packed-refs"
  assert_output "2"
  compile_app
  assert_success
  assert_equal "$(stamp)" "$(git -C "$APP" rev-parse HEAD)"
  assert_output --partial "(from the app's .git, branch main)"
}

@test ".git: HEAD naming an annotated tag in packed-refs gives the peeled commit, not the tag object" {
  git_app
  git -C "$APP" tag -a v1 -m "release"
  git -C "$APP" pack-refs --all
  git -C "$APP" symbolic-ref HEAD refs/tags/v1
  [[ "$(git -C "$APP" rev-parse HEAD)" != "$(git -C "$APP" rev-parse 'HEAD^{commit}')" ]]
  compile_app
  assert_success
  assert_equal "$(stamp)" "$(git -C "$APP" rev-parse 'HEAD^{commit}')"
}

@test ".git: a worktree (a .git file with gitdir:, and commondir for the shared refs)" {
  git_app
  local wt="$BATS_TEST_TMPDIR/wt"
  git -C "$APP" worktree add -q -b feature "$wt"
  git -C "$wt" commit -q --allow-empty -m "on the feature branch"
  run cat "$wt/.git"
  assert_output --regexp '^gitdir: /'
  local main_commit wt_commit
  main_commit=$(git -C "$APP" rev-parse HEAD)
  wt_commit=$(git -C "$wt" rev-parse HEAD)
  [[ "$main_commit" != "$wt_commit" ]]
  APP=$wt
  compile_app
  assert_success
  assert_equal "$(stamp)" "$wt_commit"
  assert_output --partial "(from the app's .git, branch feature)"

  # The same once the shared refs are packed in the main repository.
  git -C "$BATS_TEST_TMPDIR/app" pack-refs --all
  assert_file_not_exist "$BATS_TEST_TMPDIR/app/.git/refs/heads/feature"
  compile_app
  assert_success
  assert_equal "$(stamp)" "$wt_commit"
}

@test ".git: a submodule (a .git file with a relative gitdir:)" {
  git_app
  local super="$BATS_TEST_TMPDIR/super"
  git init -q -b main "$super"
  git -C "$super" -c protocol.file.allow=always submodule add -q "$APP" app
  git -C "$super" commit -q -m "add the app as a submodule"
  run cat "$super/app/.git"
  assert_output "gitdir: ../.git/modules/app"
  APP="$super/app"
  compile_app
  assert_success
  assert_equal "$(stamp)" "$(git -C "$APP" rev-parse HEAD)"
}

@test ".git: an unborn branch (git init, no commit yet) gives unknown with a warning" {
  git -C "$APP" init -q -b trunk
  compile_app
  assert_unknown
  assert_output --partial " !     the app's .git: HEAD names refs/heads/trunk, which has no commit yet"
}

@test ".git: a corrupted HEAD gives unknown with a warning naming the file" {
  git_app
  printf 'ref: refs/heads/main\0garbage\n' >"$APP/.git/HEAD"
  compile_app
  assert_unknown
  assert_output --partial " !     the app's .git: .git/HEAD: expected a 40 or 64 hex-digit object id"
}

@test ".git: HEAD naming a missing ref gives unknown with a warning" {
  git_app
  git -C "$APP" symbolic-ref HEAD refs/heads/nowhere
  compile_app
  assert_unknown
  assert_output --partial "HEAD names refs/heads/nowhere, which has no commit yet"
}

@test ".git: a 1 MiB HEAD is not read whole: unknown with a warning" {
  git_app
  head -c 1048576 /dev/zero | tr '\0' a >"$APP/.git/HEAD"
  compile_app
  assert_unknown
  assert_output --partial ".git/HEAD: cannot read it (larger than 4096 bytes"
}

@test ".git: a ref name climbing out of .git is refused, not followed" {
  git_app
  echo "$HASH" >"$BATS_TEST_TMPDIR/outside"
  echo "ref: refs/../../../outside" >"$APP/.git/HEAD"
  compile_app
  assert_unknown
  refute_output --partial "$HASH"
}

@test ".git: a .git file pointing nowhere, and a symbolic ref loop, give unknown with a warning" {
  echo "gitdir: ../missing/.git" >"$APP/.git"
  compile_app
  assert_unknown
  assert_output --partial ".git: points to"
  assert_output --partial "which is not a directory"

  rm -f "$APP/.git"
  git_app
  echo "ref: refs/heads/b" >"$APP/.git/refs/heads/a"
  echo "ref: refs/heads/a" >"$APP/.git/refs/heads/b"
  echo "ref: refs/heads/a" >"$APP/.git/HEAD"
  compile_app
  assert_unknown
  assert_output --partial "nest deeper than"
}

@test ".git: a SHA-256 repository gives the 64-digit commit" {
  git -C "$APP" init -q -b main --object-format=sha256
  git -C "$APP" add -A
  git -C "$APP" commit -q -m first
  compile_app
  assert_success
  assert_equal "$(stamp)" "$(git -C "$APP" rev-parse HEAD)"
  [[ "$(stamp)" =~ ^[0-9a-f]{64}$ ]]
}

@test "the build never runs git (the .git is read directly)" {
  git_app
  local expected
  expected=$(git -C "$APP" rev-parse HEAD)
  mkdir -p "$BATS_TEST_TMPDIR/nogit"
  printf '#!/bin/sh\necho ran >>"%s"\nexit 1\n' "$BATS_TEST_TMPDIR/git-ran" >"$BATS_TEST_TMPDIR/nogit/git"
  chmod +x "$BATS_TEST_TMPDIR/nogit/git"
  PATH="$BATS_TEST_TMPDIR/nogit:$PATH" compile_app
  assert_success
  assert_equal "$(stamp)" "$expected"
  assert_file_not_exist "$BATS_TEST_TMPDIR/git-ran"
}

# ---- Mastodon's source link ---------------------------------------------------

@test "Mastodon without GITHUB_REPOSITORY or SOURCE_BASE_URL: a warning about the source link" {
  use_fixture mastodon
  SOURCE_VERSION=$HASH compile_app
  assert_success
  assert_output --partial " !     This Mastodon app's config vars set neither GITHUB_REPOSITORY nor SOURCE_BASE_URL."
  assert_output --partial "would name commit 0123456 under https://github.com/mastodon/mastodon"
}

@test "Mastodon with GITHUB_REPOSITORY or SOURCE_BASE_URL, or a generic app: no such warning" {
  use_fixture mastodon
  config_var GITHUB_REPOSITORY me/mastodon
  SOURCE_VERSION=$HASH compile_app
  assert_success
  refute_output --partial "GITHUB_REPOSITORY"

  rm -f "$ENV_DIR/GITHUB_REPOSITORY"
  config_var SOURCE_BASE_URL https://git.example.com/me/mastodon
  use_fixture mastodon
  SOURCE_VERSION=$HASH compile_app
  assert_success
  refute_output --partial "GITHUB_REPOSITORY"

  rm -f "$ENV_DIR/SOURCE_BASE_URL"
  use_fixture rails-generic
  SOURCE_VERSION=$HASH compile_app
  assert_success
  refute_output --partial "GITHUB_REPOSITORY"
}

@test "the source-link warning names a ref name whole" {
  use_fixture mastodon
  SOURCE_VERSION=release/2024-06 compile_app
  assert_success
  assert_output --partial "would name release/2024-06 under https://github.com/mastodon/mastodon"
}

@test "Mastodon with an empty GITHUB_REPOSITORY still gets the warning" {
  use_fixture mastodon
  config_var GITHUB_REPOSITORY ""
  compile_app
  assert_success
  assert_output --partial "set neither GITHUB_REPOSITORY nor SOURCE_BASE_URL"
  assert_output --partial "would point at https://github.com/mastodon/mastodon"
}

# ---- writing the stamp -----------------------------------------------------------

@test "building twice gives the same stamp and leaves no temporary file" {
  SOURCE_VERSION=$HASH compile_app
  assert_success
  SOURCE_VERSION=$HASH compile_app
  assert_success
  assert_equal "$(stamp)" "$HASH"
  # (app-facts: what the build records for solodyno env)
  run ls -A "$APP/.solodyno"
  assert_output $'app-facts\nbin\nsource-version'
}

@test "a stamp file that is a symlink out of the app is refused, and the outside file untouched" {
  mkdir -p "$APP/.solodyno"
  echo "precious" >"$BATS_TEST_TMPDIR/outside"
  ln -s "$BATS_TEST_TMPDIR/outside" "$APP/.solodyno/source-version"
  SOURCE_VERSION=$HASH compile_app
  assert_failure
  assert_output --partial "refusing to write .solodyno/source-version: it is a symlink leading outside the app directory"
  assert_equal "$(cat "$BATS_TEST_TMPDIR/outside")" "precious"
}

@test "solodyno stamp: usage errors" {
  run "$SOLODYNO_BUILD_DIR/solodyno" stamp
  assert_failure 2
  assert_output --partial "usage: solodyno stamp APP_DIR [ENV_DIR]"
  run "$SOLODYNO_BUILD_DIR/solodyno" stamp "$BATS_TEST_TMPDIR/missing"
  assert_failure 2
  assert_output --partial "is not a directory"
  # Without ENV_DIR it still works (SOURCE_VERSION, then .git).
  run env SOURCE_VERSION=abcdef0 "$SOLODYNO_BUILD_DIR/solodyno" stamp "$APP"
  assert_success
  assert_equal "$(stamp)" "abcdef0"
}

# ---- unit tests ---------------------------------------------------------------------

@test "unit: stamp (validation, stamp file parser, runtime defaults)" {
  run "$SOLODYNO_BUILD_DIR/unit/test_stamp" "$BATS_TEST_TMPDIR"
  assert_success
}

@test "unit: git_read (HEAD, refs, packed-refs, gitdir and commondir files, hand-made repositories)" {
  run "$SOLODYNO_BUILD_DIR/unit/test_git_read" "$BATS_TEST_TMPDIR"
  assert_success
}
