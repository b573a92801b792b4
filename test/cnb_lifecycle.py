#!/usr/bin/env python3
"""What the Cloud Native Buildpacks lifecycle (0.21, Buildpack API 0.10) does
with a buildpack's output, for tests without Docker. Follows buildpacks/spec
buildpack.md ("Layer Types", "Launch", "Environment", "Data Format").

  check LAYERS_DIR          every TOML file parsed with tomllib and checked
                            against the spec; prints what it checked, exits 1
                            naming each violation
  restore LAYERS_DIR        the analyzer and restorer before a rebuild: each
                            <layer>.toml comes back without [types]; only cache
                            layers keep their contents; launch.toml,
                            build.toml and ignored layers are gone
  launch APP_DIR TYPE LAYERS_DIR [--print-env]
                            the launcher: env from env/ and env.launch/ (with
                            process-specific dirs and every suffix rule), every
                            launch layer's bin/ on PATH, then each exec.d
                            program run with fd 3 open and its TOML applied,
                            then exec of the process's command (or the final
                            environment printed as JSON, exec.d logs on stderr)
"""
import json
import os
import re
import subprocess
import sys
import tomllib

PROCESS_TYPE = re.compile(r"^[A-Za-z0-9._-]+$")
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
ENV_SUFFIXES = {"", "override", "default", "append", "prepend", "delim"}
RESERVED_LAYER_NAMES = {"build", "launch", "store"}
SPECIAL_FILES = {"launch.toml", "build.toml", "store.toml"}


def load(path):
    with open(path, "rb") as f:
        return tomllib.load(f)


def layer_tomls(layers):
    return sorted(f for f in os.listdir(layers) if f.endswith(".toml") and f not in SPECIAL_FILES)


def layer_types(layers, name):
    path = os.path.join(layers, name + ".toml")
    if not os.path.isfile(path):
        return {}
    return load(path).get("types", {})


# ---- check -------------------------------------------------------------------


def check(layers):
    errors, checked = [], []

    def err(msg):
        errors.append(msg)

    for f in layer_tomls(layers):
        name = f[: -len(".toml")]
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
                if envdir != "env.launch":
                    err(f"{name}/{envdir}/{entry}: process-specific dirs exist only in env.launch/")
                elif entry not in declared:
                    err(f"{name}/env.launch/{entry}/: no process of that type in launch.toml")
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
    var, _, suffix = base.partition(".")
    if not ENV_NAME.match(var) or suffix not in ENV_SUFFIXES:
        err(f"{label}: not NAME[.override|.default|.append|.prepend|.delim]")
    if not os.path.isfile(path):
        err(f"{label}: not a regular file")


# ---- restore -------------------------------------------------------------------


def toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)  # JSON string escapes are valid TOML
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    raise ValueError(f"cannot write {v!r}")


def toml_table(prefix, table, out):
    """Writes table as the lifecycle's encoder does: nested tables indented."""
    scalars = {k: v for k, v in table.items() if not isinstance(v, dict)}
    tables = {k: v for k, v in table.items() if isinstance(v, dict)}
    indent = "  " * prefix.count(".") if prefix else ""
    if prefix:
        out.append(f"{indent}[{prefix}]")
    for k, v in scalars.items():
        out.append(f"{indent}  {k} = {toml_value(v)}" if prefix else f"{k} = {toml_value(v)}")
    for k, v in tables.items():
        toml_table(f"{prefix}.{k}" if prefix else k, v, out)


def restore(layers):
    """Keeps what the lifecycle brings back for the next build of the same app
    (the local cache and the previous image's layer metadata)."""
    for f in layer_tomls(layers):
        name = f[: -len(".toml")]
        path = os.path.join(layers, f)
        doc = load(path)
        types = doc.get("types", {})
        directory = os.path.join(layers, name)
        if types.get("cache") or types.get("launch"):
            out = []
            toml_table("", {"metadata": doc.get("metadata", {})}, out)
            with open(path, "w") as fh:
                fh.write("\n".join(out) + "\n")
            if not types.get("cache"):
                subprocess.run(["rm", "-rf", directory], check=True)
        else:
            os.remove(path)
            subprocess.run(["rm", "-rf", directory], check=True)
    for f in os.listdir(layers):
        p = os.path.join(layers, f)
        if f in ("launch.toml", "build.toml") or f.endswith(".ignore"):
            subprocess.run(["rm", "-rf", p], check=True)
        elif os.path.isdir(p) and not os.path.exists(p + ".toml"):
            subprocess.run(["rm", "-rf", p], check=True)  # never declared: not kept
    return 0


# ---- launch --------------------------------------------------------------------


def launch_layers(layers):
    return [
        name
        for name in sorted(f[: -len(".toml")] for f in layer_tomls(layers))
        if layer_types(layers, name).get("launch") and os.path.isdir(os.path.join(layers, name))
    ]


def apply_env_dir(env, d):
    """One env directory, by the modification rules of the spec."""
    if not os.path.isdir(d):
        return
    files = sorted(f for f in os.listdir(d) if os.path.isfile(os.path.join(d, f)))
    delims = {}
    for f in files:
        var, _, suffix = f.partition(".")
        if suffix == "delim":
            delims[var] = open(os.path.join(d, f), encoding="utf-8").read()
    for f in files:
        var, _, suffix = f.partition(".")
        value = open(os.path.join(d, f), encoding="utf-8").read()  # never evaluated
        if suffix in ("", "override"):
            env[var] = value
        elif suffix == "default":
            if not env.get(var):
                env[var] = value
        elif suffix == "append":
            env[var] = env[var] + delims.get(var, "") + value if env.get(var) else value
        elif suffix == "prepend":
            env[var] = value + delims.get(var, "") + env[var] if env.get(var) else value


def run_exec_d(prog, env, app, logs_to_stderr):
    """Runs one exec.d program with its output on fd 3; returns the variables.
    Its stdout is a log (to stderr when the caller's stdout is data)."""
    r, w = os.pipe()
    if r == 3:
        r2 = os.dup(r)
        os.close(r)
        r = r2
    if w != 3:
        os.dup2(w, 3)
        os.close(w)
    proc = subprocess.Popen(
        [prog], cwd=app, env=env, pass_fds=(3,), stdout=sys.stderr if logs_to_stderr else None
    )
    os.close(3)
    data = b""
    while True:
        chunk = os.read(r, 65536)
        if not chunk:
            break
        data += chunk
    os.close(r)
    if proc.wait() != 0:
        sys.exit(f"launcher: exec.d program {prog} failed with status {proc.returncode}")
    out = tomllib.loads(data.decode("utf-8"))
    for k, v in out.items():
        if not isinstance(v, str):
            sys.exit(f"launcher: exec.d program {prog} gave {k} a non-string value {v!r}")
    return out


def launch(app, ptype, layers, print_env):
    env = dict(os.environ)
    names = launch_layers(layers)
    # Layer paths: every launch layer's bin/ before the image's PATH.
    bins = [os.path.join(layers, n, "bin") for n in names if os.path.isdir(os.path.join(layers, n, "bin"))]
    if bins:
        env["PATH"] = ":".join(bins + ([env["PATH"]] if env.get("PATH") else []))
    for n in names:
        root = os.path.join(layers, n)
        apply_env_dir(env, os.path.join(root, "env"))
        apply_env_dir(env, os.path.join(root, "env.launch"))
        apply_env_dir(env, os.path.join(root, "env.launch", ptype))
    for sub in ("", ptype):
        for n in names:
            d = os.path.join(layers, n, "exec.d", sub) if sub else os.path.join(layers, n, "exec.d")
            if not os.path.isdir(d):
                continue
            for f in sorted(os.listdir(d)):
                prog = os.path.join(d, f)
                if os.path.isfile(prog):
                    env.update(run_exec_d(prog, env, app, print_env))
    if print_env:
        json.dump(env, sys.stdout)
        return 0
    procs = {p["type"]: p for p in load(os.path.join(layers, "launch.toml")).get("processes", [])}
    if ptype not in procs:
        sys.exit(f"launcher: no process type '{ptype}' in launch.toml")
    p = procs[ptype]
    argv = p["command"] + p.get("args", [])
    os.chdir(p.get("working-dir", app))
    sys.stdout.flush()
    os.execvpe(argv[0], argv, env)


def main(argv):
    if len(argv) == 3 and argv[1] == "check":
        return check(argv[2])
    if len(argv) == 3 and argv[1] == "restore":
        return restore(argv[2])
    if len(argv) in (5, 6) and argv[1] == "launch":
        return launch(argv[2], argv[3], argv[4], len(argv) == 6 and argv[5] == "--print-env")
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
