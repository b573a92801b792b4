#!/usr/bin/env python3
"""The Cloud Native Buildpacks lifecycle, for tests without Docker.

Follows buildpacks/lifecycle at tag v0.21.12, the version heroku/builder:22,
:24 and :26 pin (heroku/cnb-builder-images builder-2X/builder.toml, [lifecycle]
version = "0.21.12"), for Buildpack API 0.10 buildpacks and Platform API 0.13.
Each step names the lifecycle file and lines it follows ("launcher.go:99" is
launch/launcher.go line 99 at v0.21.12). The spec is buildpacks/spec
buildpack.md at tag buildpack/v0.10.

  detect  --app APP --platform DIR --target OS/ARCH[/DISTRO/VERSION] BP_DIR...
        the detector for one group: each buildpack's [[targets]] against the
        run image's target, then its bin/detect; exit 0, 20 (none passed) or 21
        (one errored, a target mismatch included)
  build   --app APP --platform DIR --layers DIR --target ... BP_DIR...
        the builder: each bin/build in group order with the build environment
        (only the lifecycle's include list, the platform's env files and the
        earlier buildpacks' build layers reach it), then its layers and
        launch.toml processed; writes <layers>/config/metadata.toml
  export  --layers DIR --image DIR --cache DIR
        the exporter: launch layers, the launcher's metadata.toml and the
        layers' metadata (a JSON label) into the image dir, cache layers into
        the cache dir; the image's ENTRYPOINT is /cnb/process/<default>
  restore --layers DIR --image DIR --cache DIR
        the analyzer and restorer before the next build: a fresh layers dir
        with each layer's metadata written as the lifecycle writes it, and the
        cache layers' contents
  launch  --image DIR --app APP [--entrypoint PATH] [--print-env] [--] [CMD...]
        the launcher, started as `docker run [--entrypoint PATH] IMAGE CMD...`
        starts it: the process from argv[0] and CMD, env files and exec.d of
        every buildpack in group order, then exec (or, with --print-env, the
        process's environment as JSON on stdout, exec.d logs on stderr);
        $CNB_EMULATION_TRACE names a file each exec.d program's path is added to
  check   BP_LAYERS_DIR
        every TOML file of one buildpack's layers dir against the spec
"""
import decimal
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib

PLATFORM_API = "0.13"
PROCESS_TYPE = re.compile(r"^[A-Za-z0-9._-]+$")
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
ENV_SUFFIXES = {"", "override", "default", "append", "prepend", "delim"}
RESERVED_LAYER_NAMES = {"build", "launch", "store"}
SPECIAL_FILES = {"launch.toml", "build.toml", "store.toml"}
# The image's fixed paths (launch/launcher_unix.go:8, launch/launcher.go:15-17).
CNB_PROCESS_DIR = "/cnb/process"
CNB_LIFECYCLE_DIR = "/cnb/lifecycle"


def load(path):
    with open(path, "rb") as f:
        return tomllib.load(f)


def die(code, msg):
    print(f"ERROR: {msg}", file=sys.stderr)
    sys.exit(code)


def escape_id(bp_id):
    return bp_id.replace("/", "_")  # launch/launch.go:199-200


def read_dir_sorted(path):
    """os.ReadDir: entries sorted by name as bytes (Go's string order)."""
    try:
        names = os.listdir(path)
    except FileNotFoundError:
        return []
    return sorted(names, key=os.fsencode)


def descriptor(bp_dir):
    d = load(os.path.join(bp_dir, "buildpack.toml"))
    bp = d["buildpack"]
    return {
        "dir": bp_dir,
        "id": bp["id"],
        "version": bp.get("version", ""),
        "api": d["api"],
        "clear_env": bp.get("clear-env", False),
        "targets": d.get("targets", []),
    }


def parse_target(text):
    parts = text.split("/")
    if len(parts) not in (2, 4):
        die(2, f"--target OS/ARCH[/DISTRO/VERSION], got {text!r}")
    t = {"os": parts[0], "arch": parts[1], "distro": None}
    if len(parts) == 4:
        t["distro"] = {"name": parts[2], "version": parts[3]}
    return t


def target_env(t):
    """platform/target_data.go:125-146: OS and arch always, the distro when known."""
    env = {"CNB_TARGET_OS": t["os"], "CNB_TARGET_ARCH": t["arch"]}
    if t["distro"] and t["distro"]["name"]:
        env["CNB_TARGET_DISTRO_NAME"] = t["distro"]["name"]
    if t["distro"] and t["distro"]["version"]:
        env["CNB_TARGET_DISTRO_VERSION"] = t["distro"]["version"]
    return env


def matches(a, b):
    return a == "" or b == "" or a == b  # platform/target_data.go:85-90


def target_satisfied(base, module):
    """platform/target_data.go:50-83: os, arch and variant match (empty matches
    anything); a buildpack's distros, when it lists any, need one match."""
    if not matches(base["os"], module.get("os", "")):
        return False
    if not matches(base["arch"], module.get("arch", "")):
        return False
    if not matches(base.get("variant", ""), module.get("variant", "")):
        return False
    distros = module.get("distros", [])
    if not distros:
        return True
    if base["distro"] is None:
        return False
    return any(
        matches(base["distro"]["name"], d.get("name", ""))
        and matches(base["distro"]["version"], d.get("version", ""))
        for d in distros
    )


# ---- environments ------------------------------------------------------------

# env/build.go:8-18 and 42-56: what of the lifecycle's own environment (the
# builder image's ENV, the platform's variables) reaches detect and build.
BUILD_ENV_INCLUDE = {
    "CNB_STACK_ID", "HOSTNAME", "HOME", "HTTPS_PROXY", "https_proxy", "HTTP_PROXY",
    "http_proxy", "NO_PROXY", "no_proxy",
}
BUILD_ROOT_DIRS = {
    "bin": ["PATH"],
    "lib": ["LD_LIBRARY_PATH", "LIBRARY_PATH"],
    "include": ["CPATH"],
    "pkgconfig": ["PKG_CONFIG_PATH"],
}
# env/launch.go:8-14 and 48-51.
LAUNCH_ENV_EXCLUDE = {"CNB_LAYERS_DIR", "CNB_APP_DIR", "CNB_PROCESS_TYPE", "CNB_PLATFORM_API",
                      "CNB_DEPRECATION_MODE"}
LAUNCH_ROOT_DIRS = {"bin": ["PATH"], "lib": ["LD_LIBRARY_PATH"]}


def root_env_names(root_dirs):
    return {n for names in root_dirs.values() for n in names}


def new_build_env(environ):
    """env/build.go:25-32: the include list and the root-dir variables, nothing else."""
    keep = BUILD_ENV_INCLUDE | root_env_names(BUILD_ROOT_DIRS)
    return {k: v for k, v in environ.items() if k in keep}


def new_launch_env(environ):
    """env/launch.go:20-37: all but the exclude list; /cnb/process and
    /cnb/lifecycle taken out of PATH."""
    env = {k: v for k, v in environ.items() if k not in LAUNCH_ENV_EXCLUDE}
    if "PATH" in env:
        env["PATH"] = ":".join(p for p in env["PATH"].split(":") if p not in (CNB_PROCESS_DIR, CNB_LIFECYCLE_DIR))
    return env


def prefix(s, sep):
    return sep + s if s else ""  # env/env.go:145-150


def suffix(s, sep):
    return s + sep if s else ""  # env/env.go:152-157


def add_root_dir(env, layer_dir, root_dirs):
    """env/env.go:24-41: <layer>/bin, lib, ... prepended to their variables.
    (Go ranges over the map in random order; the variables are disjoint.)"""
    for sub, names in root_dirs.items():
        child = os.path.join(os.path.abspath(layer_dir), sub)
        if not os.path.exists(child):
            continue
        for name in names:
            env[name] = child + prefix(env.get(name, ""), ":")


def each_env_file(d):
    """env/env.go:167-196: regular files (and links to them), sorted; a value is
    the file's bytes, never evaluated."""
    for name in read_dir_sorted(d):
        p = os.path.join(d, name)
        if os.path.isdir(p):
            continue
        with open(p, "rb") as f:
            yield name, f.read().decode("utf-8", "surrogateescape")


def read_delim(d, name, default):
    try:
        with open(os.path.join(d, name + ".delim"), "rb") as f:
            return f.read().decode("utf-8", "surrogateescape")
    except OSError:
        return default  # env/env.go:159-165


def add_env_dir(env, d, default_action):
    """env/env.go:113-143. The suffix after the first dot picks the action; an
    unknown suffix (".delim" too) is skipped; "NAME." prepends with ':'."""
    for k, v in each_env_file(d):
        name, dot, action = k.partition(".")
        if not dot:
            action = default_action
        if action == "prepend":
            env[name] = v + prefix(env.get(name, ""), read_delim(d, name, ""))
        elif action == "append":
            env[name] = suffix(env.get(name, ""), read_delim(d, name, "")) + v
        elif action == "override":
            env[name] = v
        elif action == "default":
            if env.get(name, "") == "":
                env[name] = v
        elif action == "" and dot:
            env[name] = v + prefix(env.get(name, ""), read_delim(d, name, ":"))


def with_overrides(env, platform_dir, root_dirs):
    """env/env.go:88-111: the platform's env/ files set their variable (the
    root-dir ones are prepended with ':'). No build-config dir here."""
    out = dict(env)
    if platform_dir:
        names = root_env_names(root_dirs)
        for k, v in each_env_file(os.path.join(platform_dir, "env")):
            out[k] = v + prefix(out.get(k, ""), ":") if k in names else v
    return out


# ---- detect ------------------------------------------------------------------


def cmd_detect(opts, bp_dirs):
    """phase/detector.go:152-227 for one group of non-optional buildpacks."""
    base = parse_target(opts["target"])
    env = new_build_env(os.environ)
    errored = failed = False
    for bp_dir in bp_dirs:
        d = descriptor(bp_dir)
        # detector.go:196-226: with no target that fits, the buildpack errors.
        if d["targets"] and not any(target_satisfied(base, t) for t in d["targets"]):
            print(f"ERROR: {d['id']}: unable to satisfy target os/arch constraints; "
                  f"run image: {json.dumps(base)}, buildpack: {json.dumps(d['targets'])}", file=sys.stderr)
            errored = True
            continue
        # buildpack/detect.go:157-190: app dir as working dir, output captured.
        with tempfile.TemporaryDirectory(prefix="plan.") as plan_dir:
            plan = os.path.join(plan_dir, "plan.toml")
            open(plan, "w").close()
            run_env = with_overrides(env, "" if d["clear_env"] else opts["platform"], BUILD_ROOT_DIRS)
            run_env.update({"CNB_BUILDPACK_DIR": bp_dir, "CNB_PLATFORM_DIR": opts["platform"],
                            "CNB_BUILD_PLAN_PATH": plan})
            run_env.update(target_env(base))
            p = subprocess.run([os.path.join(bp_dir, "bin", "detect"), opts["platform"], plan],
                               cwd=opts["app"], env=run_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            sys.stdout.write(p.stdout.decode("utf-8", "replace"))
            if p.returncode == 0:
                load(plan)  # detect.go:81: the plan it wrote must parse
                print(f"pass: {d['id']}@{d['version']}")
            elif p.returncode == 100:
                print(f"skip: {d['id']}@{d['version']}")
                failed = True
            else:
                print(f"err:  {d['id']}@{d['version']} ({p.returncode})")
                errored = True
    # platform/exit.go:38-39
    return 21 if errored else 20 if failed else 0


# ---- build -------------------------------------------------------------------


def decode_layer_toml(path):
    """buildpack/layermetadata.go:87-108: [types] and [metadata]; flags at the
    top level are an error."""
    doc = load(path)
    if any(k in doc for k in ("build", "launch", "cache")):
        die(51, f"the launch, cache and build flags should be in the types table of {path}")
    types = doc.get("types", {})
    return {"data": doc.get("metadata"), "build": bool(types.get("build")),
            "launch": bool(types.get("launch")), "cache": bool(types.get("cache"))}


def layer_tomls(bp_layers):
    """buildpack/build.go:186-203: every <name>.toml that is a file (launch.toml
    too: it decodes with all flags false and renames nothing)."""
    return [n for n in read_dir_sorted(bp_layers)
            if n.endswith(".toml") and not os.path.isdir(os.path.join(bp_layers, n))]


def cmd_build(opts, bp_dirs):
    """phase/builder.go:62-140 and buildpack/build.go:71-304."""
    target = parse_target(opts["target"])
    layers = opts["layers"]
    env = new_build_env(os.environ)
    processes, default_type, group = {}, "", []
    for bp_dir in bp_dirs:
        d = descriptor(bp_dir)
        group.append(d)
        bp_layers = os.path.join(layers, escape_id(d["id"]))
        os.makedirs(bp_layers, exist_ok=True)  # build.go:108-112
        with tempfile.TemporaryDirectory(prefix=escape_id(d["id"]) + "-") as plan_dir:
            plan = os.path.join(plan_dir, "plan.toml")
            open(plan, "w").close()
            # build.go:127-160: the environment so far, the platform's env files
            # unless clear-env, then the CNB_* variables and the target.
            run_env = with_overrides(env, "" if d["clear_env"] else opts["platform"], BUILD_ROOT_DIRS)
            run_env.update({"CNB_BUILDPACK_DIR": bp_dir, "CNB_PLATFORM_DIR": opts["platform"],
                            "CNB_BP_PLAN_PATH": plan, "CNB_LAYERS_DIR": bp_layers})
            run_env.update(target_env(target))
            sys.stdout.flush()
            p = subprocess.run([os.path.join(bp_dir, "bin", "build"), bp_layers, opts["platform"], plan],
                               cwd=opts["app"], env=run_env, stderr=subprocess.STDOUT)
            if p.returncode != 0:
                die(51, f"failed to build: exit status {p.returncode}")
        # build.go:168-213: read each layer's metadata; a layer with no type is ignored.
        created = {}
        for f in layer_tomls(bp_layers):
            name = f[: -len(".toml")]
            meta = decode_layer_toml(os.path.join(bp_layers, f))
            created[name] = meta
            if not (meta["launch"] or meta["cache"] or meta["build"]):
                path = os.path.join(bp_layers, name)
                if os.path.exists(path):
                    os.rename(path, path + ".ignore")
        # build.go:215-234: a build layer's bin/, lib/ ... env/ and env.build/
        # reach the buildpacks after this one.
        for name, meta in created.items():
            if meta["build"]:
                path = os.path.join(bp_layers, name)
                add_root_dir(env, path, BUILD_ROOT_DIRS)
                add_env_dir(env, os.path.join(path, "env"), "override")
                add_env_dir(env, os.path.join(path, "env.build"), "override")
        # build.go:273-303 and buildpack/files.go:36-74: launch.toml.
        launch_path = os.path.join(bp_layers, "launch.toml")
        if os.path.exists(launch_path):
            doc = load(launch_path)
            procs = doc.get("processes", [])
            if sum(1 for p in procs if p.get("default")) > 1:
                die(51, "multiple default process types aren't allowed")
            # phase/builder.go:239-253: a later buildpack's type replaces an
            # earlier one; the last default wins; redefining the default
            # without default = true leaves no default.
            for p in procs:
                if "direct" in p:
                    die(51, "process.direct is not supported on this buildpack version")
                if not isinstance(p.get("command"), list):
                    die(51, f"process {p.get('type')}: command must be an array (Buildpack API 0.9+)")
                if p.get("default"):
                    default_type = p["type"]
                elif p["type"] == default_type:
                    print("Warning: redefining the following default process type with a process "
                          f"not marked as default: {p['type']}")
                    default_type = ""
                processes[p["type"]] = {
                    "type": p["type"], "command": p["command"], "args": p.get("args", []),
                    "direct": True, "buildpack-id": d["id"], "working-dir": p.get("working-dir", ""),
                }
    # The builder's output: config/metadata.toml (processes sorted by type,
    # builder.go:258-269) and the default process for the exporter.
    config = os.path.join(layers, "config")
    os.makedirs(config, exist_ok=True)
    with open(os.path.join(config, "metadata.toml"), "w") as f:
        for d in group:
            f.write(f"[[buildpacks]]\n  id = {toml_string(d['id'])}\n  version = {toml_string(d['version'])}\n"
                    f"  api = {toml_string(d['api'])}\n\n")
        for t in sorted(processes, key=os.fsencode):
            p = processes[t]
            f.write(f"[[processes]]\n  type = {toml_string(t)}\n"
                    f"  command = [{', '.join(toml_string(c) for c in p['command'])}]\n"
                    f"  args = [{', '.join(toml_string(a) for a in p['args'])}]\n"
                    f"  direct = true\n  buildpack-id = {toml_string(p['buildpack-id'])}\n")
            if p["working-dir"]:
                f.write(f"  working-dir = {toml_string(p['working-dir'])}\n")
            f.write("\n")
    with open(os.path.join(config, "default-process"), "w") as f:
        f.write(default_type)
    return 0


# ---- export and restore -------------------------------------------------------


def json_ready(v):
    """A layer's metadata as the lifecycle keeps it: decoded from TOML by Go,
    stored as JSON in the image label and the cache metadata."""
    if isinstance(v, dict):
        return {k: json_ready(x) for k, x in v.items()}
    if isinstance(v, list):
        return [json_ready(x) for x in v]
    if hasattr(v, "isoformat"):
        s = v.isoformat()  # Go marshals a time.Time as RFC 3339
        return s[:-6] + "Z" if s.endswith("+00:00") else s
    return v


def group_of(layers):
    return load(os.path.join(layers, "config", "metadata.toml")).get("buildpacks", [])


def cmd_export(opts):
    """phase/exporter.go: launch layers and config/metadata.toml into the image,
    cache layers into the cache, each layer's types and metadata in a label."""
    layers, image, cache = opts["layers"], opts["image"], opts["cache"]
    for d in (image, cache):  # replaced whole
        os.makedirs(d, exist_ok=True)
        for entry in os.listdir(d):
            subprocess.run(["rm", "-rf", os.path.join(d, entry)], check=True)
    group = group_of(layers)
    label, cache_meta = {"buildpacks": []}, {"buildpacks": []}
    for bp in group:
        bp_layers = os.path.join(layers, escape_id(bp["id"]))
        app_layers, cached = {}, {}
        for f in layer_tomls(bp_layers):
            name = f[: -len(".toml")]
            if name in RESERVED_LAYER_NAMES:
                continue
            meta = decode_layer_toml(os.path.join(bp_layers, f))
            meta = json.loads(json.dumps(json_ready(meta)))  # a JSON label: numbers become floats
            src = os.path.join(bp_layers, name)
            if meta["launch"]:
                app_layers[name] = meta
                shutil.copytree(src, os.path.join(image, "layers", escape_id(bp["id"]), name), symlinks=True)
            if meta["cache"]:
                cached[name] = meta
                shutil.copytree(src, os.path.join(cache, escape_id(bp["id"]), name), symlinks=True)
        label["buildpacks"].append({"key": bp["id"], "layers": app_layers})
        cache_meta["buildpacks"].append({"key": bp["id"], "layers": cached})
    os.makedirs(os.path.join(image, "layers", "config"))
    shutil.copy(os.path.join(layers, "config", "metadata.toml"), os.path.join(image, "layers", "config"))
    with open(os.path.join(image, "io.buildpacks.lifecycle.metadata.json"), "w") as f:
        json.dump(label, f)
    with open(os.path.join(cache, "io.buildpacks.lifecycle.cache.metadata.json"), "w") as f:
        json.dump(cache_meta, f)
    # phase/exporter.go:579-594: ENTRYPOINT /cnb/process/<default>, else the launcher.
    with open(os.path.join(layers, "config", "default-process")) as f:
        default = f.read()
    with open(os.path.join(image, "entrypoint"), "w") as f:
        f.write(os.path.join(CNB_PROCESS_DIR, default) if default else os.path.join(CNB_LIFECYCLE_DIR, "launcher"))
    return 0


def go_float(f):
    """strconv.FormatFloat(f, 'g', -1, 64) then floatAddDecimal, as
    BurntSushi/toml v1.6.0 encode.go:302-343 writes a float64."""
    if f != f:
        return "nan"
    if f in (float("inf"), float("-inf")):
        return "inf" if f > 0 else "-inf"
    sign = "-" if str(f).startswith("-") else ""
    t = decimal.Decimal(repr(abs(f))).as_tuple()  # shortest digits, like Go's
    digits = "".join(map(str, t.digits)).rstrip("0")
    if not digits:  # zero
        return sign + "0.0"
    dp = len(t.digits) + t.exponent  # where the decimal point goes
    exp = dp - 1
    if exp < -4 or exp >= 6:  # shortest 'g' switches to %e at exponent 6 (ftoa.go)
        s = digits[0] + ("." + digits[1:] if len(digits) > 1 else "") + f"e{'-' if exp < 0 else '+'}{abs(exp):02d}"
        return sign + s
    if dp <= 0:
        s = "0." + "0" * -dp + digits
    elif dp >= len(digits):
        s = digits + "0" * (dp - len(digits))
    else:
        s = digits[:dp] + "." + digits[dp:]
    return sign + (s if "." in s else s + ".0")


def toml_string(s):
    """BurntSushi/toml v1.6.0 encode.go:30-66 (dblQuotedReplacer)."""
    out = []
    for ch in s:
        o = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch in "\b\t\n\f\r":
            out.append({"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}[ch])
        elif o < 0x20 or o == 0x7F:
            out.append(f"\\u{o:04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def toml_key(k):
    """meta.go:123-134: bare when it can be, quoted otherwise."""
    return k if k and re.fullmatch(r"[A-Za-z0-9_-]+", k) else toml_string(k)


def toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return go_float(float(v))  # JSON numbers come back as float64
    if isinstance(v, str):
        return toml_string(v)
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    raise ValueError(f"cannot encode {v!r}")


def is_table(v):
    return isinstance(v, dict) or (isinstance(v, list) and v and all(isinstance(x, dict) for x in v))


def encode_table(key, table, out):
    """encode.go:377-437: keys of this table first, sorted, then its tables,
    sorted; everything indented two spaces per level below the top."""
    indent = "  " * len(key)
    direct = sorted((k for k in table if not is_table(table[k])), key=os.fsencode)
    sub = sorted((k for k in table if is_table(table[k])), key=os.fsencode)
    for k in direct:
        if table[k] is None:
            continue
        out.append(f"{indent}{toml_key(k)} = {toml_value(table[k])}\n")
    for k in sub:
        name = ".".join(toml_key(p) for p in key + [k])
        if isinstance(table[k], dict):
            if not key:  # encode.go:378-382: a blank line before a top-level table
                out.append("\n")
            out.append(f"{indent}[{name}]\n")
            encode_table(key + [k], table[k], out)
        else:
            for item in table[k]:
                out.append("\n")  # encode.go:370: newline() before each [[...]]
                out.append(f"{indent}[[{name}]]\n")
                encode_table(key + [k], item, out)


def restored_metadata_toml(data):
    """buildpack/layermetadata.go:78-85: only the metadata table, no [types]."""
    if data is None:
        return ""
    out = []
    encode_table([], {"metadata": data}, out)
    text = "".join(out)
    return text[1:] if text.startswith("\n") else text  # newline() writes nothing first


def cmd_restore(opts):
    """internal/layer/metadata_restorer.go:68-134 and phase/restorer.go:56-116:
    what the next build starts from."""
    layers, image, cache = opts["layers"], opts["image"], opts["cache"]
    with open(os.path.join(image, "io.buildpacks.lifecycle.metadata.json")) as f:
        label = {b["key"]: b["layers"] for b in json.load(f)["buildpacks"]}
    with open(os.path.join(cache, "io.buildpacks.lifecycle.cache.metadata.json")) as f:
        cache_meta = {b["key"]: b["layers"] for b in json.load(f)["buildpacks"]}
    group = [b["id"] for b in group_of(os.path.join(image, "layers"))]  # the analyzer's group
    for entry in os.listdir(layers):  # a fresh /layers for the new build
        subprocess.run(["rm", "-rf", os.path.join(layers, entry)], check=True)
    for bp_id in group:
        bp_layers = os.path.join(layers, escape_id(bp_id))
        os.makedirs(bp_layers, exist_ok=True)
        app, cached = label.get(bp_id, {}), cache_meta.get(bp_id, {})
        restore = {}
        for name, m in app.items():  # metadata_restorer.go:84-110
            if not m["launch"] or (m["build"] and not m["cache"]):
                continue
            if m["cache"] and not cached.get(name, {}).get("cache"):
                continue
            restore[name] = m
        for name, m in cached.items():  # metadata_restorer.go:114-131 (Platform API < 0.14)
            if not m["cache"] or m["launch"]:
                continue
            restore[name] = m
        for name, m in restore.items():
            with open(os.path.join(bp_layers, name + ".toml"), "w") as f:
                f.write(restored_metadata_toml(m["data"]))
        # restorer.go:62-115: the data of cache=true layers comes back.
        for name, m in cached.items():
            if m["cache"]:
                shutil.copytree(os.path.join(cache, escape_id(bp_id), name), os.path.join(bp_layers, name),
                                symlinks=True)
    return 0


# ---- launch ------------------------------------------------------------------


def run_exec_d(prog, env, logs_to_stderr):
    """launch/exec_d.go:27-63: the program alone (argv[0] its path, no
    arguments), in the app dir the launcher changed to, with the environment so
    far and a pipe on fd 3; its stdout and stderr are the launcher's. Its TOML
    must be string values; they are set as they come."""
    if os.environ.get("CNB_EMULATION_TRACE"):  # test aid: the order exec.d ran in
        with open(os.environ["CNB_EMULATION_TRACE"], "a") as f:
            f.write(prog + "\n")
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(r)
            if w != 3:
                os.dup2(w, 3)
                os.close(w)
            os.set_inheritable(3, True)
            if logs_to_stderr:
                os.dup2(2, 1)
            os.execve(prog, [prog], env)
        except OSError as e:
            print(f"exec.d: {prog}: {e}", file=sys.stderr)
        os._exit(127)
    os.close(w)
    data = b""
    while chunk := os.read(r, 65536):
        data += chunk
    os.close(r)
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        die(82, f"failed to launch: exec.d: failed to execute exec.d file at path '{prog}': "
                f"exit status {os.waitstatus_to_exitcode(status)}")
    try:
        out = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        die(82, f"failed to launch: exec.d: failed to decode output from exec.d file at path '{prog}': {e}")
    for k, v in out.items():
        if not isinstance(v, str):
            die(82, f"failed to launch: exec.d: failed to decode output from exec.d file at path '{prog}': "
                    f"{k} is not a string")
        env[k] = v


def layer_dirs(bp_dir):
    """launcher.go:176-180: every directory of the buildpack's layers, sorted
    (the image holds only its launch layers)."""
    return [os.path.join(bp_dir, n) for n in read_dir_sorted(bp_dir) if os.path.isdir(os.path.join(bp_dir, n))]


def files_in(d):
    return [os.path.join(d, n) for n in read_dir_sorted(d) if not os.path.isdir(os.path.join(d, n))]


def bash_tokens_script(n):
    """launch/bash.go:56-63."""
    s = '"$(eval echo \\"$0\\")"' + "".join(f' "$(eval echo \\"${{{i}}}\\")"' for i in range(1, n))
    return f"exec bash -c '{s}' \"${{@:1}}\""


def cmd_launch(opts, cmd):
    image_layers = os.path.join(opts["image"], "layers")
    app = opts["app"]
    md = load(os.path.join(image_layers, "config", "metadata.toml"))
    buildpacks, procs = md.get("buildpacks", []), md.get("processes", [])
    if opts["entrypoint"]:
        argv0 = opts["entrypoint"]
    else:
        with open(os.path.join(opts["image"], "entrypoint")) as f:
            argv0 = f.read()
    env = new_launch_env(os.environ)
    # cmd/launcher/cli/launcher.go:70-82: the process type is argv[0]'s name
    # (/cnb/process/web is a link to the launcher) when it is one.
    by_type = {p["type"]: p for p in procs}
    default_type = os.path.basename(argv0) if os.path.basename(argv0) in by_type else ""
    # launch/process.go:22-74 (Platform API 0.10+).
    if default_type:
        p = by_type[default_type]
        command, args, direct = list(p["command"]), list(p.get("args", [])), True
        proc_type, working_dir = default_type, p.get("working-dir", "")
        if len(command) > 1:  # process.go:49-57: command[1:] always, then the user's or the default args
            args = command[1:] + (cmd if cmd else args)
            command = command[:1]
        elif cmd:  # process.go:58-70: Buildpack API 0.9+: the user's args replace args
            args = cmd
    else:
        if not cmd:  # process.go:139-148
            die(82, "failed to launch: determine start command: when there is no default process a command is required")
        proc_type, working_dir = "", ""
        if len(cmd) > 1 and cmd[0] == "--":
            command, args, direct = [cmd[1]], cmd[2:], True
        else:
            command, args, direct = [cmd[0]], cmd[1:], False
    # launcher.go:61-70: the app dir, env files, exec.d, in this order.
    os.chdir(app)
    bp_dirs = [os.path.join(image_layers, escape_id(b["id"])) for b in buildpacks]
    bp_dirs = [d for d in bp_dirs if os.path.isdir(d)]  # launcher.go:120-137, group order
    for bp_dir in bp_dirs:  # launcher.go:99-109: per buildpack, all its roots, then all its env files
        for layer in layer_dirs(bp_dir):
            add_root_dir(env, layer, LAUNCH_ROOT_DIRS)
        for layer in layer_dirs(bp_dir):  # launcher.go:145-158
            add_env_dir(env, os.path.join(layer, "env"), "override")
            add_env_dir(env, os.path.join(layer, "env.launch"), "override")
            if proc_type:
                add_env_dir(env, os.path.join(layer, "env.launch", proc_type), "override")
    for bp_dir in bp_dirs:  # launcher.go:111-115 and 160-174: per layer, exec.d/ then exec.d/<type>/
        for layer in layer_dirs(bp_dir):
            for prog in files_in(os.path.join(layer, "exec.d")):
                run_exec_d(prog, env, opts["print_env"])
            if proc_type:
                for prog in files_in(os.path.join(layer, "exec.d", proc_type)):
                    run_exec_d(prog, env, opts["print_env"])
    working_dir = working_dir or app  # process.go:150-155
    if opts["print_env"]:
        json.dump(env, sys.stdout)
        return 0
    sys.stdout.flush()
    sys.stderr.flush()
    if direct:  # launcher.go:79-97: PATH from the new env, looked up, exec'd
        binary = command[0] if "/" in command[0] else shutil.which(command[0], path=env.get("PATH", ""))
        if not binary:
            die(82, f"failed to launch: path lookup: exec: \"{command[0]}\": executable file not found in $PATH")
        os.chdir(working_dir)
        os.execve(binary, command + args, env)
    # shell.go:28-89 and bash.go:23-43: a user's command without a process
    # type runs in bash after each layer's profile.d scripts and the app's .profile.
    profiles = []
    for bp_dir in bp_dirs:
        for layer in layer_dirs(bp_dir):
            profiles += files_in(os.path.join(layer, "profile.d"))
    if os.path.exists(os.path.join(app, ".profile")) and not os.path.isdir(os.path.join(app, ".profile")):
        profiles.append(".profile")
    script = "".join(f'source "{p}"\n' for p in profiles) + f'cd "{working_dir}"\n'
    script += 'exec bash -c "$@"' if not args else bash_tokens_script(len(args) + 1)
    os.execve("/bin/bash", ["bash", "-c", script, argv0, " ".join(command)] + args, env)


# ---- check (the spec, for one buildpack's output) ------------------------------


def check(layers):
    errors, checked = [], []

    def err(msg):
        errors.append(msg)

    for f in layer_tomls(layers):
        name = f[: -len(".toml")]
        if f in SPECIAL_FILES:
            continue
        path = os.path.join(layers, f)
        try:
            doc = load(path)
        except tomllib.TOMLDecodeError as e:
            err(f"{f}: not valid TOML: {e}")
            continue
        if name in RESERVED_LAYER_NAMES:
            err(f"{f}: layer name '{name}' is reserved")
        extra = set(doc) - {"types", "metadata"}
        if extra:
            err(f"{f}: unexpected top-level keys {sorted(extra)} (only [types] and [metadata])")
        types = doc.get("types")
        if not isinstance(types, dict):
            err(f"{f}: no [types] table (the lifecycle would ignore the layer)")
            continue
        for k, v in types.items():
            if k not in ("launch", "build", "cache"):
                err(f"{f}: [types] has unknown key '{k}'")
            elif not isinstance(v, bool):
                err(f"{f}: [types].{k} is not a boolean")
        if "metadata" in doc and not isinstance(doc["metadata"], dict):
            err(f"{f}: metadata is not a table")
        if any(types.get(k) for k in ("launch", "build", "cache")) and not os.path.isdir(
            os.path.join(layers, name)
        ):
            err(f"{f}: declares a layer but {name}/ does not exist")
        checked.append(f"{f}: [types] {json.dumps(types, sort_keys=True)}")
        if types.get("launch"):
            check_launch_layer(layers, name, err)

    launch_path = os.path.join(layers, "launch.toml")
    if os.path.exists(launch_path):
        try:
            doc = load(launch_path)
        except tomllib.TOMLDecodeError as e:
            err(f"launch.toml: not valid TOML: {e}")
            doc = None
        if doc is not None:
            check_launch_toml(doc, err)
            checked.append(
                "launch.toml: " + ", ".join(p.get("type", "?") for p in doc.get("processes", []))
            )
    for line in checked:
        print("checked " + line)
    for e in errors:
        print("SPEC VIOLATION: " + e, file=sys.stderr)
    return 1 if errors else 0


def check_launch_toml(doc, err):
    """buildpack.md (buildpack/v0.10) lines 897-940: launch.toml."""
    extra = set(doc) - {"processes", "labels", "slices"}
    if extra:
        err(f"launch.toml: unexpected top-level keys {sorted(extra)}")
    procs = doc.get("processes", [])
    if not isinstance(procs, list):
        err("launch.toml: processes is not an array of tables")
        return
    seen, defaults = set(), 0
    for i, p in enumerate(procs):
        where = f"launch.toml: processes[{i}]"
        unknown = set(p) - {"type", "command", "args", "default", "working-dir"}
        if "direct" in p:
            err(f"{where}: 'direct' was removed in Buildpack API 0.9")
        if unknown - {"direct"}:
            err(f"{where}: unknown keys {sorted(unknown)}")
        t = p.get("type")
        if not isinstance(t, str) or not PROCESS_TYPE.match(t):
            err(f"{where}: type {t!r} must be letters, digits, '.', '_', '-'")
        elif t in seen:
            err(f"{where}: type '{t}' declared twice by one buildpack")
        seen.add(t)
        cmd = p.get("command")
        if not isinstance(cmd, list) or not cmd or not all(isinstance(c, str) for c in cmd):
            err(f"{where}: command must be a non-empty array of strings (API 0.9+), got {cmd!r}")
        elif not cmd[0]:
            err(f"{where}: command[0] is empty")
        if "args" in p and (
            not isinstance(p["args"], list) or not all(isinstance(a, str) for a in p["args"])
        ):
            err(f"{where}: args must be an array of strings")
        if "default" in p and not isinstance(p["default"], bool):
            err(f"{where}: default must be a boolean")
        if p.get("default") is True:
            defaults += 1
        if "working-dir" in p and not isinstance(p["working-dir"], str):
            err(f"{where}: working-dir must be a string")
    if defaults > 1:
        err("launch.toml: more than one process has default = true")


def check_launch_layer(layers, name, err):
    root = os.path.join(layers, name)
    declared = set()
    launch_path = os.path.join(layers, "launch.toml")
    if os.path.exists(launch_path):
        declared = {p.get("type") for p in load(launch_path).get("processes", [])}
    for envdir in ("env", "env.launch"):
        d = os.path.join(root, envdir)
        if not os.path.isdir(d):
            continue
        for entry in sorted(os.listdir(d)):
            p = os.path.join(d, entry)
            if os.path.isdir(p):
                # buildpack.md (buildpack/v0.10) "Build": env.launch/<process>/
                # applies to that process type, whichever buildpack declares it.
                if envdir != "env.launch":
                    err(f"{name}/{envdir}/{entry}: process-specific dirs exist only in env.launch/")
                elif not PROCESS_TYPE.match(entry):
                    err(f"{name}/env.launch/{entry}/: not a process type name")
                for sub in sorted(os.listdir(p)):
                    check_env_file(f"{name}/{envdir}/{entry}/{sub}", os.path.join(p, sub), err)
            else:
                check_env_file(f"{name}/{envdir}/{entry}", p, err)
    d = os.path.join(root, "exec.d")
    if os.path.isdir(d):
        for entry in sorted(os.listdir(d)):
            p = os.path.join(d, entry)
            if os.path.isdir(p):
                if entry not in declared:
                    err(f"{name}/exec.d/{entry}/: no process of that type in launch.toml")
                progs = [os.path.join(p, s) for s in sorted(os.listdir(p))]
            else:
                progs = [p]
            for prog in progs:
                if not (os.path.isfile(prog) and os.access(prog, os.X_OK)):
                    err(f"{os.path.relpath(prog, layers)}: an exec.d entry must be an executable file")


def check_env_file(label, path, err):
    base = os.path.basename(path)
    var, _, suffix_ = base.partition(".")
    if not ENV_NAME.match(var) or suffix_ not in ENV_SUFFIXES:
        err(f"{label}: not NAME[.override|.default|.append|.prepend|.delim]")
    if not os.path.isfile(path):
        err(f"{label}: not a regular file")


# ---- command line ----------------------------------------------------------------


def parse(argv, flags, bools=()):
    opts = {f: None for f in flags}
    opts.update({b: False for b in bools})
    rest = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--":
            rest += argv[i + 1:]
            break
        if a.startswith("--") and a[2:].replace("-", "_") in bools:
            opts[a[2:].replace("-", "_")] = True
        elif a.startswith("--") and a[2:] in flags and i + 1 < len(argv):
            opts[a[2:]] = argv[i + 1]
            i += 1
        else:
            rest += argv[i:]
            break
        i += 1
    return opts, rest


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    sub, args = argv[1], argv[2:]
    if sub == "check" and len(args) == 1:
        return check(args[0])
    if sub in ("detect", "build"):
        opts, bps = parse(args, ["app", "platform", "layers", "target"])
        if not opts["app"] or not opts["platform"] or not opts["target"] or not bps:
            print(__doc__, file=sys.stderr)
            return 2
        if sub == "detect":
            return cmd_detect(opts, bps)
        if not opts["layers"]:
            return 2
        return cmd_build(opts, bps)
    if sub in ("export", "restore"):
        opts, rest = parse(args, ["layers", "image", "cache"])
        if rest or not all(opts.values()):
            print(__doc__, file=sys.stderr)
            return 2
        return cmd_export(opts) if sub == "export" else cmd_restore(opts)
    if sub == "launch":
        opts, cmd = parse(args, ["image", "app", "entrypoint"], ["print_env"])
        if not opts["image"] or not opts["app"]:
            print(__doc__, file=sys.stderr)
            return 2
        return cmd_launch(opts, cmd)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
