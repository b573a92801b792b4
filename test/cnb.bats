#!/usr/bin/env bats
# Cloud Native Buildpack mode: buildpack.toml, bin/detect and bin/build run as
# lifecycle 0.21 runs them (test/cnb_helper.bash), their output checked against
# the Buildpack API 0.10 spec. What needs `solodyno procfile/env/stamp/run` at
# launch is in test/cnb_launch.bats.

load test_helper
load cnb_helper

setup() {
  common_setup
  cnb_setup
}

teardown() { cnb_teardown; }

# py CODE [ARGS...]: runs Python with tomllib at hand; fails on AssertionError.
py() {
  local code=$1
  shift
  run python3 -c "import sys, tomllib, json, os, re
$code" "$@"
}

@test "buildpack.toml: Buildpack API 0.10 descriptor with linux amd64/arm64 targets and no distro pin, and Heroku's registry fields" {
  run "$SOLODYNO_BUILD_DIR/solodyno" version
  local version=${output#solodyno }
  py '
d = tomllib.load(open(sys.argv[1], "rb"))
assert d["api"] == "0.10", d["api"]
bp = d["buildpack"]
# The ID: letters, digits, ".", "/", "-"; not a reserved name.
assert re.fullmatch(r"[A-Za-z0-9./-]+", bp["id"]) and bp["id"] not in ("config", "app", "sbom"), bp
# The version: X.Y.Z without leading zeros, the same as the helper it builds.
assert re.fullmatch(r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)", bp["version"]), bp
assert bp["version"] == sys.argv[2], (bp["version"], sys.argv[2])
assert bp["name"] == "solodyno"
assert bp["homepage"].startswith("https://") and bp["description"], bp
assert all("type" in l or "uri" in l for l in bp["licenses"]) and bp["licenses"], bp
# The declared licence is the one the repository ships.
assert [l.get("type") for l in bp["licenses"]] == ["MIT"], bp["licenses"]
assert open(os.path.join(os.path.dirname(sys.argv[1]), "LICENSE")).readline().strip() == "MIT License"
assert "clear-env" not in bp or bp["clear-env"] is False  # config vars reach bin/build
targets = {(t["os"], t["arch"]): t for t in d["targets"]}
assert set(targets) == {("linux", "amd64"), ("linux", "arm64")}, targets
for t in targets.values():
    assert "distros" not in t, t  # any Ubuntu builder: the helper is compiled for it
assert "stacks" not in d and "order" not in d  # deprecated in 0.10; not an order buildpack
# Heroku registry fields, kept.
ignored = d["publish"]["Ignore"]["files"]
assert "test/" in ignored and ".ci/" in ignored, ignored
assert not any(f.startswith(("bin", "src", "buildpack.toml")) for f in ignored), ignored
' "$BP_DIR/buildpack.toml" "$version"
  assert_success
}

@test "README names the fields Heroku's registry reads and the files it does not publish" {
  run python3 -c '
import sys, tomllib
d = tomllib.load(open(sys.argv[1], "rb"))
print("\n".join(d["publish"]["Ignore"]["files"]))' "$BP_DIR/buildpack.toml"
  local f readme
  readme=$(sed -n '/^## Cloud Native Buildpacks (pack build)/,/^## /p' "$BP_DIR/README.md")
  [[ "$readme" == *'[publish.Ignore]'* && "$readme" == *'[buildpack]'*'name'* ]]
  for f in $output; do
    [[ "$readme" == *"\`$f\`"* ]] || { echo "README does not name $f"; return 1; }
  done
}

@test "detect (CNB): passes with 0 for the Mastodon fixture, as a non-root user, writing only a valid plan" {
  cnb_use_fixture mastodon
  cnb_detect # the detector parses the plan a passing bin/detect leaves
  assert_success
  assert_output --partial "solodyno: found Procfile"
  assert_output --partial "pass: solodyno/solodyno@"
  run diff -r "$FIXTURES/mastodon" "$CNB_APP"
  assert_success
}

@test "detect and build on heroku/builder:22, :24 and :26 (Ubuntu 22.04, 24.04, 26.04 run images): targets fit, the helper is compiled for each distro, the image launches" {
  cnb_use_fixture mastodon
  cnb_recording_cc
  local v
  for v in 22.04 24.04 26.04; do
    CNB_TARGET="linux/$CNB_ARCH/ubuntu/$v"
    cnb_detect
    assert_success
    refute_output --partial "unable to satisfy target"
    : >"$CNB_BASE/cc-calls"
    cnb_build
    assert_success
    # The cache restored from the build before was for another distro.
    assert_output --partial "Compiling solodyno"
    [ -s "$CNB_BASE/cc-calls" ]
    py 'm = tomllib.load(open(sys.argv[1], "rb"))["metadata"]; assert m["target_distro_version"] == sys.argv[2], m' \
      "$CNB_LAYERS/helper-cache.toml" "$v"
    assert_success
    run cnb_docker_run -e SOLODYNO_MEMORY_MB=512 'solodyno env --explain'
    assert_success
    assert_output --partial "DYNO=web.1: web dyno"
    cnb_restore
    cnb_use_fixture mastodon
  done
  # The same distro again: the cache is used.
  : >"$CNB_BASE/cc-calls"
  cnb_build
  assert_success
  assert_output --partial "Using cached solodyno"
  [ ! -s "$CNB_BASE/cc-calls" ]
}

@test "heroku/builder:26's build image runs uutils for coreutils (coreutils-from-uutils): bin/build and the launch layer work with them first on PATH" {
  local uu=/usr/lib/cargo/bin/coreutils # Debian's rust-coreutils, one command per name
  [[ -x "$uu/sha256sum" ]] || skip "rust-coreutils is not installed"
  cnb_use_fixture mastodon
  CNB_TARGET="linux/$CNB_ARCH/ubuntu/26.04"
  cnb_builder_env "PATH=$uu:/usr/local/bin:/usr/bin:/bin"
  cnb_build
  assert_success
  assert_output --partial "Compiling solodyno"
  cnb_check
  assert_success
  cnb_restore
  cnb_use_fixture mastodon
  cnb_build
  assert_success
  assert_output --partial "Using cached solodyno" # the cache key is the same, computed by uutils
  run cnb_docker_run -e SOLODYNO_MEMORY_MB=512 -e "PATH=/cnb/process:$uu:/usr/bin:/bin" 'solodyno env --explain'
  assert_success
  assert_output --partial "DYNO=web.1: web dyno"
}

@test "detect (CNB): passes for an app with only a Gemfile, a package.json or a Procfile" {
  local f
  for f in Gemfile package.json Procfile; do
    rm -rf "${CNB_APP:?}"/*
    echo 'x: y' >"$CNB_APP/$f"
    cnb_own "$CNB_APP"
    cnb_detect
    assert_success
  done
}

@test "detect (CNB): fails with exactly 100, never 1, and a reason" {
  echo 'print(1)' >"$CNB_APP/main.py"
  mkdir "$CNB_APP/Gemfile" # a directory is not a Gemfile
  cnb_own "$CNB_APP"
  cnb_detect
  # 100 is a skip (the detector then exits 20); any other status an error (21).
  assert_failure 20
  assert_output --partial "skip: solodyno/solodyno@"
  assert_output --partial "no Procfile, Gemfile or package.json"
}

@test "detect (CNB): reads the working directory, not \$1 (the platform dir)" {
  echo 'print(1)' >"$CNB_APP/main.py"
  # A Gemfile in the platform dir must not count: $1 is not the app in CNB mode.
  echo "source 'https://rubygems.org'" >"$CNB_PLATFORM/Gemfile"
  cnb_own "$CNB_APP" "$CNB_PLATFORM"
  cnb_detect
  assert_failure 20
}

@test "detect (classic) is unchanged: \$1 is the app, failure is 1" {
  mkdir -p "$APP"
  echo 'print(1)' >"$APP/main.py"
  run env -u CNB_BUILDPACK_DIR -u CNB_PLATFORM_DIR -u CNB_BUILD_PLAN_PATH "$BP_DIR/bin/detect" "$APP"
  assert_failure 1
  use_fixture mastodon
  run "$BP_DIR/bin/detect" "$APP"
  assert_success
  assert_output "solodyno"
}

@test "build: the Mastodon fixture as a non-root user, from a read-only buildpack; every TOML file valid by the spec" {
  cnb_use_fixture mastodon
  find "$CNB_BP" -type f -exec sha256sum {} + | sort >"$CNB_BASE/bp-before"
  ls -A "$CNB_PLATFORM/env" >"$CNB_BASE/platform-before"
  cnb_build
  assert_success
  assert_output --partial "-----> solodyno: building the helper"
  assert_output --partial "Compiling solodyno"
  cnb_check
  assert_success
  assert_output --partial "checked helper-cache.toml: [types] {\"build\": false, \"cache\": true, \"launch\": false}"
  assert_output --partial "checked solodyno.toml: [types] {\"build\": false, \"cache\": false, \"launch\": true}"
  assert_output --partial "checked launch.toml: web"
  # The buildpack dir is untouched (and was read-only all along).
  find "$CNB_BP" -type f -exec sha256sum {} + | sort >"$CNB_BASE/bp-after"
  run diff "$CNB_BASE/bp-before" "$CNB_BASE/bp-after"
  assert_success
  run find "$CNB_BP" -newer "$CNB_BASE/bp-before"
  assert_output ""
  # Nothing written to the platform dir.
  run diff "$CNB_BASE/platform-before" <(ls -A "$CNB_PLATFORM/env")
  assert_success
  # Built by the non-root user (as root, the harness runs it as nobody).
  if [[ "$(id -u)" == 0 ]]; then
    assert_equal "$(stat -c %U "$CNB_LAYERS/launch.toml" "$CNB_LAYERS/solodyno/bin/solodyno" | sort -u)" nobody
  fi
}

@test "build: the launch layer holds the helper in bin/, the exec.d program and each process's role" {
  cnb_use_fixture mastodon
  cnb_build
  assert_success
  assert_file_executable "$CNB_LAYERS/solodyno/bin/solodyno"
  run "$CNB_LAYERS/solodyno/bin/solodyno" version
  assert_output --regexp '^solodyno [0-9]+\.[0-9]+\.[0-9]+$'
  assert_file_executable "$CNB_LAYERS/solodyno/exec.d/solodyno-env"
  py '
layers = sys.argv[1]
procs = tomllib.load(open(layers + "/launch.toml", "rb"))["processes"]
for p in procs:
    f = layers + "/solodyno/env.launch/" + p["type"] + "/DYNO.default"
    assert open(f).read() == p["type"] + ".1", f
' "$CNB_LAYERS"
  assert_success
}

@test "build: launch.toml declares every Procfile type, web the default, commands as arrays run exactly as the Procfile says" {
  cnb_use_fixture mastodon
  cnb_config_var SOLODYNO_PROCFILE keep
  # Commands a naive generator would break: quotes, backslashes, $(...),
  # tabs, Unicode, a duplicate type (the last wins), CRLF line endings.
  printf '%s\r\n' \
    'web: printf "%s|" "$0" "it'"'"'s" \\n "a\"b"' \
    'worker: echo "$(printf x)" ${NOPE:-dflt}	tab é ✓' \
    'release: echo first' \
    'release: echo "last wins" '"'"'#'"'"' ; echo '"'"'{"json": [1]}'"'"'' \
    'clock: echo clock' >"$CNB_APP/Procfile"
  cnb_own "$CNB_APP"
  cnb_build
  assert_success
  assert_output --partial "launch.toml: web (default), worker, release, clock"
  cnb_check
  assert_success
  # Each command, run as the launcher would (argv from the TOML array), prints
  # what the Procfile's line prints under bash -c.
  py '
import subprocess
procs = tomllib.load(open(sys.argv[1] + "/launch.toml", "rb"))["processes"]
assert [p["type"] for p in procs] == ["web", "worker", "release", "clock"], procs
assert [p["default"] for p in procs] == [True, False, False, False], procs
procfile = {}
for line in open(sys.argv[2], "rb").read().decode().split("\r\n"):
    if line:
        name, cmd = line.split(": ", 1)
        procfile[name] = cmd
for p in procs:
    # heroku/procfile writes command = ["bash", "-c"], args = [the command].
    assert p["command"] == ["bash", "-c"] and p["args"] == [procfile[p["type"]]], p
    want = subprocess.run(["bash", "-c", procfile[p["type"]]], capture_output=True).stdout
    got = subprocess.run(p["command"] + p["args"], capture_output=True).stdout
    assert got == want and got, (p, got, want)
print(subprocess.run(procs[2]["command"] + procs[2]["args"], capture_output=True, text=True).stdout)
' "$CNB_LAYERS" "$CNB_APP/Procfile"
  assert_success
  assert_output --partial "last wins #"
}

@test "build: a Procfile command TOML cannot hold is left out with a warning naming the line; the build goes on" {
  cnb_use_fixture mastodon
  cnb_config_var SOLODYNO_PROCFILE keep
  printf 'web: bundle exec puma\nbad: echo \xff\xfe\nworker: bundle exec sidekiq\n' >"$CNB_APP/Procfile"
  cnb_own "$CNB_APP"
  cnb_build
  assert_success
  assert_output --partial "Procfile, line 2: process type 'bad' is left out of launch.toml: the line is not a valid 'name: command' entry in UTF-8"
  cnb_check
  assert_success
  py '
procs = tomllib.load(open(sys.argv[1] + "/launch.toml", "rb"))["processes"]
assert [p["type"] for p in procs] == ["web", "worker"], procs' "$CNB_LAYERS"
  assert_success
  assert_file_not_exists "$CNB_LAYERS/solodyno/env.launch/bad"
}

@test "build: an app without a Procfile builds, declares no process types and stays valid" {
  cnb_use_fixture no-procfile
  cnb_build
  assert_success
  cnb_check
  assert_success
  assert_file_executable "$CNB_LAYERS/solodyno/bin/solodyno"
}

@test "build: the cache layer's metadata records the sources, compiler and target" {
  cnb_use_fixture mastodon
  cnb_recording_cc
  cnb_build
  assert_success
  local sources
  # Every file of solodyno's phases (not src/slug/): its path, then its content.
  sources=$(cd "$BP_DIR" && for f in $(printf '%s\n' src/*.[ch] src/{common,build,dyno}/*.[ch] | LC_ALL=C sort); do
    printf '%s\n' "$f"
    cat "$f"
  done | sha256sum | cut -d' ' -f1)
  py '
m = tomllib.load(open(sys.argv[1] + "/helper-cache.toml", "rb"))["metadata"]
assert re.fullmatch(r"[0-9a-f]{32}", m["cache_key"]), m
assert m["sources_sha256"] == sys.argv[2], m
assert m["compiler"] == sys.argv[3], m
assert m["target_os"] == "linux" and m["target_arch"] == sys.argv[4], m
assert m["target_distro_name"] == "ubuntu" and m["target_distro_version"] == "24.04", m
' "$CNB_LAYERS" "$sources" "$CNB_BASE/ccwrap/cc" "$CNB_ARCH"
  assert_success
}

@test "the source version stamp: SOURCE_VERSION from pack's --env becomes env.launch defaults; a bad one never" {
  cnb_use_fixture mastodon
  local sha=0123456789ABCDEF0123456789abcdef01234567
  cnb_config_var SOURCE_VERSION "$sha"
  cnb_build
  assert_success
  cnb_check
  assert_success
  local d="$CNB_LAYERS/solodyno/env.launch" lower=${sha,,}
  assert_equal "$(cat "$CNB_APP/.solodyno/source-version")" "$lower"
  assert_equal "$(cat "$d/SOURCE_VERSION.default")" "$lower"
  assert_equal "$(cat "$d/SOURCE_COMMIT.default")" "$lower"
  assert_equal "$(cat "$d/SOURCE_TAG.default")" "$lower" # Mastodon's source link
  # Switchable at run time (SOLODYNO_VERSION_METADATA=0): left to exec.d.
  assert_file_not_exists "$d/MASTODON_VERSION_METADATA.default"

  # A value that is neither a hash nor a ref name is refused, never written.
  cnb_restore
  cnb_use_fixture mastodon
  cnb_config_var SOURCE_VERSION '$(touch /tmp/pwned) "x'
  cnb_build
  assert_success
  assert_output --partial "ignoring it"
  run ls "$CNB_LAYERS/solodyno/env.launch"
  refute_output --partial SOURCE
  cnb_check
  assert_success
}

@test "rebuild as the lifecycle restores it: no compile, and a complete, valid result again" {
  cnb_use_fixture mastodon
  cnb_recording_cc
  cnb_build
  assert_success
  [ -s "$CNB_BASE/cc-calls" ]
  cp "$CNB_LAYERS/launch.toml" "$CNB_BASE/launch.toml.first"

  cnb_restore
  # What the lifecycle restored: metadata without [types]; only the cache layer's contents.
  py '
for name in ("helper-cache", "solodyno"):
    d = tomllib.load(open(f"{sys.argv[1]}/{name}.toml", "rb"))
    assert "types" not in d and "metadata" in d, (name, d)
assert os.path.isdir(sys.argv[1] + "/helper-cache") and not os.path.exists(sys.argv[1] + "/solodyno")
assert not os.path.exists(sys.argv[1] + "/launch.toml")' "$CNB_LAYERS"
  assert_success

  : >"$CNB_BASE/cc-calls"
  cnb_use_fixture mastodon
  cnb_build
  assert_success
  assert_output --partial "Using cached solodyno"
  refute_output --partial "Compiling solodyno"
  # Not even `cc --version`.
  [ ! -s "$CNB_BASE/cc-calls" ]
  cnb_check
  assert_success
  assert_output --partial "checked helper-cache.toml: [types] {\"build\": false, \"cache\": true, \"launch\": false}"
  assert_output --partial "checked solodyno.toml: [types] {\"build\": false, \"cache\": false, \"launch\": true}"
  run diff "$CNB_BASE/launch.toml.first" "$CNB_LAYERS/launch.toml"
  assert_success
  run "$CNB_LAYERS/solodyno/bin/solodyno" version
  assert_success
  assert_file_executable "$CNB_LAYERS/solodyno/exec.d/solodyno-env"
  assert_file_exists "$CNB_LAYERS/solodyno/env.launch/web/DYNO.default"
}

# A uname that says arm64, so one x86_64 machine can play both architectures.
fake_arm64() {
  mkdir -p "$CNB_BASE/fakearch"
  printf '#!/bin/sh\nif [ "$1" = -m ]; then echo aarch64; else exec /bin/uname "$@"; fi\n' >"$CNB_BASE/fakearch/uname"
  chmod 755 "$CNB_BASE/fakearch/uname"
}

@test "a cache restored from another architecture, distro or source tree is never reused" {
  [[ "$CNB_ARCH" == amd64 ]] || skip "plays arm64 on an amd64 machine"
  cnb_use_fixture mastodon
  cnb_recording_cc
  fake_arm64
  local saved=("${CNB_BUILDER_ENV[@]}")
  cnb_builder_env "PATH=$CNB_BASE/fakearch:$CNB_BASE/ccwrap:/usr/local/bin:/usr/bin:/bin"
  CNB_TARGET=linux/arm64/ubuntu/24.04 cnb_build
  assert_success
  assert_output --partial "Compiling solodyno"
  py 'assert tomllib.load(open(sys.argv[1], "rb"))["metadata"]["target_arch"] == "arm64"' "$CNB_LAYERS/helper-cache.toml"
  assert_success

  # The same cache, restored into an amd64 build: compiled again.
  cnb_restore
  : >"$CNB_BASE/cc-calls"
  CNB_BUILDER_ENV=("${saved[@]}")
  cnb_build
  assert_success
  assert_output --partial "Discarding the cached helper"
  assert_output --partial "Compiling solodyno"
  [ -s "$CNB_BASE/cc-calls" ]
  py 'assert tomllib.load(open(sys.argv[1], "rb"))["metadata"]["target_arch"] == "amd64"' "$CNB_LAYERS/helper-cache.toml"
  assert_success
  # Only the current build stays in the cache layer.
  run ls "$CNB_LAYERS/helper-cache/solodyno-bin"
  assert_equal "$(echo "$output" | wc -l)" 1

  # Another distro version: compiled again.
  cnb_restore
  : >"$CNB_BASE/cc-calls"
  CNB_TARGET=linux/amd64/ubuntu/22.04 cnb_build
  assert_success
  assert_output --partial "Compiling solodyno"

  # Other sources (a new buildpack version): compiled again.
  cnb_restore
  : >"$CNB_BASE/cc-calls"
  chmod -R u+w "$CNB_BP"
  echo '/* changed */' >>"$CNB_BP/src/common/log.c"
  chmod -R a-w "$CNB_BP"
  cnb_build
  assert_success
  assert_output --partial "Discarding the cached helper"
  [ -s "$CNB_BASE/cc-calls" ]
}

@test "build refuses a target architecture other than the build machine's, naming both" {
  [[ "$CNB_ARCH" == amd64 ]] || skip "needs an amd64 machine"
  cnb_use_fixture mastodon
  CNB_TARGET=linux/arm64/ubuntu/24.04 cnb_build
  assert_failure
  assert_output --partial "The target architecture is arm64 but this build runs on amd64"
  assert_file_not_exists "$CNB_LAYERS/launch.toml"
}

@test "build fails clearly, naming the target, when the build image has no C compiler" {
  cnb_use_fixture mastodon
  local nocc="$CNB_BASE/nocc" f
  mkdir -p "$nocc"
  for f in /usr/bin/* /bin/*; do
    case "${f##*/}" in
      cc | c89* | c99* | gcc* | clang* | *-gcc* | *-cc | tcc | x86_64-linux-gnu-* | aarch64-linux-gnu-*) ;;
      *) [[ -e "$nocc/${f##*/}" ]] || ln -s "$f" "$nocc/${f##*/}" ;;
    esac
  done
  cnb_builder_env "PATH=$nocc"
  cnb_build
  assert_failure
  assert_output --partial "No C compiler found in the build image (cnb linux/$CNB_ARCH ubuntu 24.04)"
  assert_file_not_exists "$CNB_LAYERS/launch.toml"
}

@test "the exec.d program runs the helper beside it, never another solodyno on PATH, with fd 3 passed through" {
  cnb_use_fixture mastodon
  cnb_build
  assert_success
  # A copy of the launch layer whose helper is a fake that shows what it got.
  local layer="$CNB_BASE/copy/solodyno"
  mkdir -p "$CNB_BASE/copy" "$CNB_BASE/decoy"
  cp -a "$CNB_LAYERS/solodyno" "$layer"
  printf '#!/bin/sh\necho "args: $*"\necho "FROM = \\"layer\\"" >&3\n' >"$layer/bin/solodyno"
  printf '#!/bin/sh\necho "FROM = \\"decoy\\"" >&3\n' >"$CNB_BASE/decoy/solodyno"
  chmod 755 "$layer/bin/solodyno" "$CNB_BASE/decoy/solodyno"
  run env PATH="$CNB_BASE/decoy:$PATH" "$layer/exec.d/solodyno-env" 3>"$CNB_BASE/fd3"
  assert_success
  # --start-env: its parent, the launcher (here the test's shell)
  assert_output --regexp '^args: env --exec-d --start-env [0-9]+$'
  py 'assert tomllib.load(open(sys.argv[1], "rb")) == {"FROM": "layer"}' "$CNB_BASE/fd3"
  assert_success
}

@test "build without a layers dir fails with a usage line" {
  run env -u CNB_LAYERS_DIR -u CNB_PLATFORM_DIR "$BP_DIR/bin/build"
  assert_failure
  assert_output --partial "usage: bin/build LAYERS_DIR PLATFORM_DIR PLAN_PATH"
}

@test "solodyno cnb layer: types spelled out, metadata escaped, bad keys and values refused" {
  local s="$SOLODYNO_BUILD_DIR/solodyno" f="$CNB_BASE/x.toml"
  run "$s" cnb layer "$f" launch,cache 'a=say "hi" \ $(x)' 'b-2='
  assert_success
  py '
d = tomllib.load(open(sys.argv[1], "rb"))
assert d == {"types": {"launch": True, "build": False, "cache": True},
             "metadata": {"a": "say \"hi\" \\ $(x)", "b-2": ""}}, d' "$f"
  assert_success
  run "$s" cnb layer "$f" none
  assert_success
  py 'assert tomllib.load(open(sys.argv[1], "rb"))["types"] == {"launch": False, "build": False, "cache": False}' "$f"
  assert_success
  cp "$f" "$CNB_BASE/before"
  run "$s" cnb layer "$f" cache 'bad key=1'
  assert_failure
  assert_output --partial "not a TOML bare key"
  run "$s" cnb layer "$f" cache a=1 a=2
  assert_failure
  assert_output --partial "given twice"
  run "$s" cnb layer "$f" cache "a=$(printf '\xff')"
  assert_failure
  assert_output --partial "not valid UTF-8"
  run "$s" cnb layer "$f" sometimes
  assert_failure 2
  # Nothing half-written: the file is what it was.
  run cmp "$CNB_BASE/before" "$f"
  assert_success
}

@test "unit: cnb (launch.toml and layer TOML rendering)" {
  run "$SOLODYNO_BUILD_DIR/unit/test_cnb"
  assert_success
}

# A generic app with its own one-dyno layout, left as it is (SOLODYNO_PROCFILE=keep).
own_layout_app() {
  cnb_use_fixture rails-generic
  cnb_config_var SOLODYNO_PROCFILE keep
  printf '%s\n' 'web: solodyno run Procfile.web' 'worker: bundle exec sidekiq -c ${SIDEKIQ_THREADS:-5}' >"$CNB_APP/Procfile"
  printf '%s\n' 'puma: bundle exec puma -C config/puma.rb' 'sidekiq@RUN_WORKER: bundle exec sidekiq -c ${SIDEKIQ_THREADS:-5}' >"$CNB_APP/Procfile.web"
  cnb_own "$CNB_APP"
}

@test "launch: the web process runs its members through the launcher; exec.d's tuning and the role reach them" {
  own_layout_app
  cnb_build
  assert_success
  cnb_start web SOLODYNO_MEMORY_MB=512 RUN_WORKER=true SOLODYNO_GRACE=5
  wait_until 20 cnb_stub_started puma
  wait_until 20 cnb_stub_started sidekiq
  run http_get "$CNB_PORT"
  assert_success
  # The 512 MB web-with-Sidekiq row, from exec.d (fd 3), as the processes see it.
  assert_equal "$(cnb_stub_env puma DYNO)" web.1
  assert_equal "$(cnb_stub_env puma WEB_CONCURRENCY)" 1
  assert_equal "$(cnb_stub_env puma DB_POOL)" 6
  assert_equal "$(cnb_stub_env puma MALLOC_ARENA_MAX)" 2
  assert_equal "$(cnb_stub_env sidekiq SIDEKIQ_THREADS)" 1
  run python3 -c 'import json, sys, glob; print(" ".join(json.load(open(glob.glob(sys.argv[1] + "/sidekiq.*.json")[0]))["argv"]))' "$CNB_STUB_LOG"
  assert_output "sidekiq -c 1"
  cnb_stop
  assert_equal "$CNB_STATUS" 143
}

@test "launch: the worker process gets the worker's role and its own Sidekiq threads; platform values win" {
  own_layout_app
  cnb_build
  assert_success
  cnb_launch_env worker SOLODYNO_MEMORY_MB=512
  assert_success
  local threads
  threads=$(python3 -c 'import json, sys; e = json.loads(sys.argv[1]); assert e["DYNO"] == "worker.1", e; print(e["SIDEKIQ_THREADS"])' "$output")
  ((threads > 1)) # a dedicated worker runs more threads than one sharing a web dyno
  cnb_launch_env web SOLODYNO_MEMORY_MB=512 WEB_CONCURRENCY=4 DYNO=web-12a34b56d-e78f9
  assert_success
  run python3 -c 'import json, sys; e = json.loads(sys.argv[1]); print(e["WEB_CONCURRENCY"], e["DYNO"])' "$output"
  assert_output "4 web-12a34b56d-e78f9"
}

# ---- the emulation itself (test/cnb_lifecycle.py) --------------------------------
# Each of these proves a rule of lifecycle v0.21.12 that the tests above rely
# on, on hand-made buildpacks and images, so a wrong emulation cannot hide a
# wrong buildpack.

# mkbp DIR ID [TARGETS_TOML]: a buildpack whose bin/detect passes and whose
# bin/build runs $DIR/build-body (the layers dir is $1).
mkbp() {
  mkdir -p "$1/bin"
  printf 'api = "0.10"\n[buildpack]\nid = "%s"\nversion = "1.0.0"\n%s\n' "$2" "${3:-}" >"$1/buildpack.toml"
  printf '#!/bin/sh\nexit 0\n' >"$1/bin/detect"
  printf '#!/bin/bash\nset -e\nL=$1\n. "$CNB_BUILDPACK_DIR/build-body"\n' >"$1/bin/build"
  : >"$1/build-body"
  chmod 755 "$1/bin/detect" "$1/bin/build"
}

# An image of two buildpacks, "z/first" then "a/second" (group order is not
# alphabetical), each with launch layers, as `export` makes it.
two_buildpack_image() {
  local A="$CNB_BASE/bpA" B="$CNB_BASE/bpB"
  mkbp "$A" z/first
  mkbp "$B" a/second
  cat >"$A/build-body" <<'EOF'
mkdir -p "$L/one/env.launch/web" "$L/one/env" "$L/one/bin" "$L/one/exec.d/web" "$L/two/exec.d" "$L/cacheonly/exec.d"
printf '[types]\nlaunch = true\n' >"$L/one.toml"
printf '[types]\nlaunch = true\n' >"$L/two.toml"
printf '[types]\ncache = true\n' >"$L/cacheonly.toml"
printf 'from-env' >"$L/one/env/OVER"
printf 'from-launch' >"$L/one/env.launch/OVER.override"
printf 'web-only' >"$L/one/env.launch/web/OVER"
printf 'dflt' >"$L/one/env.launch/DEF.default"
printf 'dflt' >"$L/one/env.launch/PLATFORM.default"
printf 'x' >"$L/one/env.launch/LIST.append"
printf ',' >"$L/one/env.launch/LIST.delim"
printf '$(not evaluated)' >"$L/one/env.launch/RAW"
printf 'first' >"$L/one/env.launch/SEEN_BY_SECOND"
printf '#!/bin/sh\necho "ORDER = \\"${ORDER:-}A1web>\\"" >&3\n' >"$L/one/exec.d/web/10"
printf '#!/bin/sh\necho "ORDER = \\"${ORDER:-}A2>\\"" >&3\necho "CWD = \\"$(pwd)\\"" >&3\necho "log line on stdout"\n' >"$L/two/exec.d/10"
printf '#!/bin/sh\necho "CACHEONLY = \\"ran\\"" >&3\n' >"$L/cacheonly/exec.d/10"
printf '#!/bin/sh\necho hi from a layer bin\n' >"$L/one/bin/hello"
chmod 755 "$L"/one/exec.d/web/10 "$L"/two/exec.d/10 "$L"/cacheonly/exec.d/10 "$L/one/bin/hello"
printf '[[processes]]\ntype = "web"\ncommand = ["bash", "-c"]\nargs = ["echo web-from-first"]\ndefault = true\n' >"$L/launch.toml"
EOF
  cat >"$B/build-body" <<'EOF'
mkdir -p "$L/b/env.launch" "$L/b/exec.d" "$L/b/profile.d"
printf '[types]\nlaunch = true\n' >"$L/b.toml"
printf 'y' >"$L/b/env.launch/LIST.append"
printf ':' >"$L/b/env.launch/LIST.delim"
printf '/' >"$L/b/env.launch/PRE.delim"
printf 'p' >"$L/b/env.launch/PRE.prepend"
printf 'second' >"$L/b/env.launch/SEEN_BY_SECOND.default"
printf '#!/bin/sh\necho "ORDER = \\"${ORDER:-}B>\\"" >&3\necho "SAW_OVER = \\"$OVER\\"" >&3\n' >"$L/b/exec.d/10"
printf 'export FROM_PROFILE_D=yes\n' >"$L/b/profile.d/10.sh"
chmod 755 "$L/b/exec.d/10"
printf '[[processes]]\ntype = "web"\ncommand = ["bash", "-c"]\nargs = ["echo \\"web: $0|$OVER|$DEF|$PLATFORM|$LIST|$PRE|$RAW|$ORDER|$SAW_OVER|$SEEN_BY_SECOND\\""]\ndefault = true\n' >"$L/launch.toml"
printf '[[processes]]\ntype = "multi"\ncommand = ["printf", "[%%s]"]\nargs = ["d1", "d2"]\n' >>"$L/launch.toml"
printf '[[processes]]\ntype = "single"\ncommand = ["printf"]\nargs = ["[%%s]", "d"]\n' >>"$L/launch.toml"
EOF
  chmod -R a+rX "$A" "$B"
  CNB_GROUP=("$A" "$B")
  echo 'export FROM_APP_PROFILE=yes' >"$CNB_APP/.profile"
  cnb_own "$CNB_APP"
  cnb_build
}

@test "emulation, launcher: group order, then layer order; every env file before any exec.d; exec.d/ then exec.d/<type>/ per layer" {
  two_buildpack_image
  assert_success
  run cnb_docker_run -e PLATFORM=mine -e PRE=base
  assert_success
  assert_line --index 0 "log line on stdout"
  # launcher.go:99-115: z/first's layers (one, two) then a/second's; exec.d of
  # "one" (only its web/ dir) before "two"'s; a/second's exec.d saw every env
  # file, z/first's override of OVER included. The cache-only layer is not in the image.
  assert_line --index 1 'web: bash|web-only|dflt|mine|x:y|p/base|$(not evaluated)|A1web>A2>B>|web-only|first'
  run --separate-stderr cnb_docker_run --entrypoint /cnb/process/web --print-env
  assert_success
  run python3 -c '
import json, sys
e = json.loads(sys.argv[1])
assert e["CWD"] == sys.argv[2], e               # exec.d runs in the app dir
assert "CACHEONLY" not in e, e                  # not a launch layer: not in the image
assert e["PATH"].split(":")[0] == sys.argv[3] + "/layers/z_first/one/bin", e["PATH"]
assert "/cnb/process" not in e["PATH"] and "/cnb/lifecycle" not in e["PATH"], e["PATH"]
assert not any(k in e for k in ("CNB_LAYERS_DIR", "CNB_APP_DIR", "CNB_PLATFORM_API", "CNB_DEPRECATION_MODE")), e
' "$output" "$CNB_APP" "$CNB_IMAGE"
  assert_success
}

@test "emulation, launcher: docker run IMAGE CMD replaces args; command[1:] always stays; launcher CMD is a one-off in bash" {
  two_buildpack_image
  assert_success
  # process.go:49-57: command ["bash", "-c"] keeps "-c"; the user's CMD replaces args.
  run cnb_docker_run 'echo "replaced: $OVER"'
  assert_success
  assert_line --index 1 "replaced: web-only"
  run cnb_docker_run --entrypoint /cnb/process/multi
  assert_output --partial "[d1][d2]"
  run cnb_docker_run --entrypoint /cnb/process/multi u1
  assert_output --partial "[u1]"
  refute_output --partial "[d1]"
  # process.go:58-70: a one-element command, API 0.9+: args replaced too.
  run cnb_docker_run --entrypoint /cnb/process/single '<%s>' u
  assert_output --partial "<u>"
  # cli/launcher.go:70-82: `launcher` is no process type: the user's command
  # runs through bash after profile.d and the app's .profile (shell.go:52-71),
  # with only the env files and exec.d that apply to every process.
  run cnb_docker_run --entrypoint launcher 'echo "oneoff: $OVER|$ORDER|$FROM_PROFILE_D|$FROM_APP_PROFILE|$0"'
  assert_success
  assert_line --index 1 "oneoff: from-launch|A2>B>|yes|yes|bash"
  # process.go:143-145: "--" makes it direct: no shell, no profile.
  run cnb_docker_run --entrypoint launcher -- -- printf '%s|' '$FROM_PROFILE_D' x
  assert_success
  assert_output --partial '$FROM_PROFILE_D|x|'
  run cnb_docker_run --entrypoint launcher
  assert_failure 82
  assert_output --partial "when there is no default process a command is required"
}

@test "emulation, builder: only HOME, HOSTNAME, the proxies and the path variables of the builder's ENV reach bin/build; config vars and earlier build layers do" {
  local A="$CNB_BASE/bpA" B="$CNB_BASE/bpB"
  mkbp "$A" first/bp
  mkbp "$B" second/bp
  cat >"$A/build-body" <<'EOF'
mkdir -p "$L/tools/bin" "$L/tools/env.build" "$L/tools/env"
printf '[types]\nbuild = true\n' >"$L/tools.toml"
printf 'from-first' >"$L/tools/env.build/FIRST_BUILD_VAR"
printf 'launch-only' >"$L/tools/env/FIRST_ENV_VAR"
mkdir -p "$L/hidden"
printf '[types]\n' >"$L/hidden.toml"
EOF
  printf 'env -0 >"$CNB_BUILDPACK_DIR/../env-seen"\n' >"$B/build-body"
  chmod -R a+rX "$A" "$B"
  chmod 777 "$CNB_BASE"
  CNB_GROUP=("$A" "$B")
  cnb_builder_env CC=/opt/builder-cc CFLAGS=-O3 HOSTNAME=builder http_proxy=http://proxy LIBRARY_PATH=/opt/lib
  cnb_config_var MY_CONFIG 'a value'
  cnb_config_var PATH /from/platform
  cnb_build
  assert_success
  chmod 755 "$CNB_BASE"
  run python3 -c '
import sys
e = dict(kv.split("=", 1) for kv in open(sys.argv[1]).read().split("\0") if kv)
assert "CC" not in e and "CFLAGS" not in e and "CNB_USER_ID" not in e, e    # env/build.go:8-32
assert e["HOSTNAME"] == "builder" and e["http_proxy"] == "http://proxy" and e["LIBRARY_PATH"] == "/opt/lib", e
assert e["MY_CONFIG"] == "a value", e                                      # env/env.go:88-102
# a path variable from the platform is prepended, after the build layers of
# earlier buildpacks (build.go:215-234) were: bin/ first, then the platform.
layers = sys.argv[2]
assert e["PATH"] == "/from/platform:" + layers + "/first_bp/tools/bin:/usr/local/bin:/usr/bin:/bin", e["PATH"]
assert e["FIRST_BUILD_VAR"] == "from-first" and e["FIRST_ENV_VAR"] == "launch-only", e
assert e["CNB_LAYERS_DIR"] == layers + "/second_bp" and e["CNB_TARGET_DISTRO_VERSION"] == "24.04", e
' "$CNB_BASE/env-seen" "$CNB_LAYERS_ROOT"
  assert_success
  # build.go:205-213: a layer with no type is renamed <name>.ignore.
  assert_dir_exists "$CNB_LAYERS_ROOT/first_bp/hidden.ignore"
}

@test "emulation, detector: [[targets]] against the run image: os/arch only fits every distro, a distro pin fails the others with 21" {
  local A="$CNB_BASE/bpA"
  mkbp "$A" pinned/bp "$(printf '[[targets]]\nos = "linux"\narch = "%s"\n[[targets.distros]]\nname = "ubuntu"\nversion = "24.04"' "$CNB_ARCH")"
  chmod -R a+rX "$A"
  CNB_GROUP=("$A")
  local v
  for v in 22.04 26.04; do
    CNB_TARGET="linux/$CNB_ARCH/ubuntu/$v" cnb_detect
    assert_failure 21
    [[ "$stderr" == *"unable to satisfy target os/arch constraints"* ]]
  done
  CNB_TARGET="linux/$CNB_ARCH/ubuntu/24.04" cnb_detect
  assert_success
  # Another architecture never fits.
  mkbp "$A" free/bp "$(printf '[[targets]]\nos = "linux"\narch = "amd64"\n')"
  chmod -R a+rX "$A"
  CNB_TARGET=linux/arm64/ubuntu/26.04 cnb_detect
  assert_failure 21
  CNB_TARGET=linux/amd64/ubuntu/26.04 cnb_detect
  assert_success
}

@test "emulation, restorer: metadata comes back as the lifecycle writes it (sorted, indented, numbers as floats, no [types]); only cache layers keep their files" {
  local A="$CNB_BASE/bpA"
  mkbp "$A" meta/bp
  cat >"$A/build-body" <<'EOF'
mkdir -p "$L/c" "$L/l" "$L/gone"
printf 'kept' >"$L/c/file"
printf 'dropped' >"$L/l/file"
printf '[types]\ncache = true\n[metadata]\nzeta = "z"\nalpha = 3\nhalf = 0.5\nbig = 1234567\nok = true\nlist = [1, "two"]\n[metadata.sub]\nb = "x\\ty"\n[metadata.sub.deeper]\nc = 1\n' >"$L/c.toml"
printf '[types]\nlaunch = true\n[metadata]\nkey = "v"\n' >"$L/l.toml"
printf '[types]\nbuild = true\n[metadata]\nx = "y"\n' >"$L/gone.toml"
EOF
  chmod -R a+rX "$A"
  CNB_GROUP=("$A")
  cnb_build
  assert_success
  cnb_restore
  local L="$CNB_LAYERS_ROOT/meta_bp"
  # BurntSushi/toml v1.6.0's encoder, as layermetadata.go:78-85 calls it.
  assert_equal "$(cat "$L/c.toml")" "$(printf '[metadata]\n  alpha = 3.0\n  big = 1.234567e+06\n  half = 0.5\n  list = [1.0, "two"]\n  ok = true\n  zeta = "z"\n  [metadata.sub]\n    b = "x\\ty"\n    [metadata.sub.deeper]\n      c = 1.0')"
  assert_equal "$(cat "$L/l.toml")" "$(printf '[metadata]\n  key = "v"')"
  assert_equal "$(cat "$L/c/file")" kept
  assert_file_not_exists "$L/l"
  assert_file_not_exists "$L/gone.toml" # build-only: neither in the image nor the cache
  assert_file_not_exists "$L/gone"
}

@test "README: every docker run of a long-running process gives it Heroku's 30 s to stop; the builders and one-offs are documented" {
  local readme line n=0
  readme=$(sed -n '/^## Cloud Native Buildpacks (pack build)/,/^## Slugs/p' "$BP_DIR/README.md")
  while IFS= read -r line; do
    [[ "$line" == *"docker run "* && "$line" != *'`'* ]] || continue
    # one-offs (release, launcher, a shell) end by themselves
    [[ "$line" == *"--entrypoint release"* || "$line" == *"--entrypoint launcher"* || "$line" == *" bash"* ]] && continue
    [[ "$line" == *"--stop-timeout 30"* ]] || { echo "no --stop-timeout 30: $line"; return 1; }
    n=$((n + 1))
  done <<<"$readme"
  ((n >= 2))
  [[ "$readme" == *"docker stop -t 30"* ]]
  local b
  for b in heroku/builder:22 heroku/builder:24 heroku/builder:26 "--entrypoint launcher" DYNO=run.1 "[::]"; do
    [[ "$readme" == *"$b"* ]] || { echo "README does not say $b"; return 1; }
  done
}
