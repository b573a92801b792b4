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

@test "buildpack.toml: Buildpack API 0.10 descriptor with linux amd64/arm64 targets on Ubuntu 24.04, and Heroku's registry fields" {
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
    assert t["distros"] == [{"name": "ubuntu", "version": "24.04"}], t
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
  cnb_detect
  assert_success
  assert_output --partial "solodyno"
  py 'tomllib.load(open(sys.argv[1], "rb"))' "$CNB_PLAN_DIR/detect-plan.toml"
  assert_success
  run diff -r "$FIXTURES/mastodon" "$CNB_APP"
  assert_success
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

@test "detect (CNB): fails with exactly 100, never 1, and a reason on stderr" {
  echo 'print(1)' >"$CNB_APP/main.py"
  mkdir "$CNB_APP/Gemfile" # a directory is not a Gemfile
  cnb_own "$CNB_APP"
  cnb_detect
  assert_failure 100
  [[ "$stderr" == *"no Procfile, Gemfile or package.json"* ]]
}

@test "detect (CNB): reads the working directory, not \$1 (the platform dir)" {
  echo 'print(1)' >"$CNB_APP/main.py"
  # A Gemfile in the platform dir must not count: $1 is not the app in CNB mode.
  echo "source 'https://rubygems.org'" >"$CNB_PLATFORM/Gemfile"
  cnb_own "$CNB_APP" "$CNB_PLATFORM"
  cnb_detect
  assert_failure 100
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
  run ls -A "$CNB_PLATFORM/env"
  assert_output ""
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
    assert p["command"][:2] == ["bash", "-c"] and p["command"][2] == procfile[p["type"]], p
    want = subprocess.run(["bash", "-c", procfile[p["type"]]], capture_output=True).stdout
    got = subprocess.run(p["command"] + p.get("args", []), capture_output=True).stdout
    assert got == want and got, (p, got, want)
print(subprocess.run(procs[2]["command"], capture_output=True, text=True).stdout)
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
  local saved=("${CNB_EXTRA_ENV[@]}")
  CNB_EXTRA_ENV+=("PATH=$CNB_BASE/fakearch:/usr/local/bin:/usr/bin:/bin")
  CNB_ARCH=arm64 cnb_build
  assert_success
  assert_output --partial "Compiling solodyno"
  py 'assert tomllib.load(open(sys.argv[1], "rb"))["metadata"]["target_arch"] == "arm64"' "$CNB_LAYERS/helper-cache.toml"
  assert_success

  # The same cache, restored into an amd64 build: compiled again.
  cnb_restore
  : >"$CNB_BASE/cc-calls"
  CNB_EXTRA_ENV=("${saved[@]}")
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
  CNB_EXTRA_ENV+=("CNB_TARGET_DISTRO_VERSION=22.04")
  cnb_build
  assert_success
  assert_output --partial "Compiling solodyno"
  CNB_EXTRA_ENV=("${saved[@]}")

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
  CNB_ARCH=arm64 cnb_build
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
  CNB_EXTRA_ENV+=("PATH=$nocc")
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

@test "the launch emulation itself follows the spec: env rules, process-specific dirs, exec.d on fd 3, layer bin/ on PATH" {
  # A hand-made image: two launch layers (applied alphabetically) and an
  # ignored one, so the harness that cnb_launch.bats relies on is proven here.
  local L="$CNB_BASE/img"
  mkdir -p "$L/a/env.launch/web" "$L/a/env" "$L/a/bin" "$L/a/exec.d/web" "$L/b/env.launch" "$L/b/exec.d" "$L/c/bin"
  printf '[types]\nlaunch = true\n' >"$L/a.toml"
  printf '[types]\nlaunch = true\n[metadata]\n' >"$L/b.toml"
  printf '[types]\ncache = true\n' >"$L/c.toml"
  printf 'from-env' >"$L/a/env/OVER"
  printf 'from-launch' >"$L/a/env.launch/OVER.override"
  printf 'web-only' >"$L/a/env.launch/web/OVER"
  printf 'dflt' >"$L/a/env.launch/DEF.default"
  printf 'dflt' >"$L/a/env.launch/PLATFORM.default"
  printf 'web.1' >"$L/a/env.launch/web/DYNO.default"
  printf 'x' >"$L/a/env.launch/LIST.append"
  printf ',' >"$L/a/env.launch/LIST.delim"
  printf 'y' >"$L/b/env.launch/LIST.append"
  printf ':' >"$L/b/env.launch/LIST.delim" # a delimiter counts in its own layer only
  printf '/' >"$L/b/env.launch/PRE.delim"
  printf 'p' >"$L/b/env.launch/PRE.prepend"
  printf '$(not evaluated)' >"$L/b/env.launch/RAW"
  printf '#!/bin/sh\necho "SEEN_DYNO = \\"$DYNO\\"" >&3\necho "ORDER = \\"a\\"" >&3\n' >"$L/a/exec.d/web/10"
  printf '#!/bin/sh\necho "ORDER = \\"b-then-$(pwd)\\"" >&3\necho "log line on stdout"\n' >"$L/b/exec.d/10"
  chmod 755 "$L/a/exec.d/web/10" "$L/b/exec.d/10"
  printf '[[processes]]\ntype = "web"\ncommand = ["bash", "-c", "echo \\"$OVER|$DEF|$PLATFORM|$LIST|$PRE|$RAW|$ORDER|$SEEN_DYNO\\"; echo \\"$0 $1\\""]\nargs = ["arg1"]\ndefault = true\n' >"$L/launch.toml"
  run env -i PATH=/usr/bin:/bin PLATFORM=mine PRE=base python3 "$CNB_TOOL" launch "$CNB_APP" web "$L"
  assert_success
  assert_line --index 0 "log line on stdout"
  # exec.d/<process>/ runs after exec.d/, so its ORDER wins; both ran in the app dir.
  assert_line --index 1 'web-only|dflt|mine|x:y|p/base|$(not evaluated)|a|web.1'
  assert_line --index 2 "arg1 "
  run --separate-stderr env -i PATH=/usr/bin:/bin python3 "$CNB_TOOL" launch "$CNB_APP" worker "$L" --print-env
  assert_success
  run python3 -c '
import json, sys
e = json.loads(sys.argv[1])
assert e["OVER"] == "from-launch" and "DYNO" not in e and e["ORDER"] == "b-then-" + sys.argv[2], e
assert e["PATH"] == sys.argv[3] + "/a/bin:/usr/bin:/bin", e["PATH"]  # not c/: a cache layer
' "$output" "$CNB_APP" "$L"
  assert_success
  run python3 "$CNB_TOOL" check "$L"
  assert_success
  # And the checker catches what the spec forbids.
  printf '[[processes]]\ntype = "web"\ncommand = "bash -c x"\ndirect = false\ndefault = true\n[[processes]]\ntype = "w b"\ncommand = ["x"]\ndefault = true\n' >"$L/launch.toml"
  printf '[metadata]\n' >"$L/d.toml"
  run python3 "$CNB_TOOL" check "$L"
  assert_failure
  assert_output --partial "'direct' was removed in Buildpack API 0.9"
  assert_output --partial "command must be a non-empty array of strings"
  assert_output --partial "type 'w b' must be letters"
  assert_output --partial "more than one process has default = true"
  assert_output --partial "d.toml: no [types] table"
}
