#!/usr/bin/env python3
"""make check-layers: the include graph must follow the layers.

Layers are folders (runner/<layer>/, headers in include/tend/<layer>/, the
modules in modules/). A file may include headers of its own folder and of
lower layers only: an include of a higher layer (upward) or of another
folder of the same rank (sibling) is an error, and so is a cycle between
the files of one folder (x.c, x.h and x_int.h, its internal header, count
as one unit, x). Every error
names the edge: 'runner/store/plan.c includes tend/engine/run.h: upward
(store -> engine)'.

A second pass reads the symbols of the compiled objects (nm) when a
build directory is given: a function declared in one folder's header but
defined in another file makes a dependency that no #include line shows,
and the same rules apply to it ('runner/lang/template.o uses
template_filter_find of runner/lang/filters.o ... cycle').

Usage: check-layers.py [ROOT [BUILD]]   (default: ., no object pass)
Exit 0 when the graph is clean, 1 with the errors listed.
"""
import os
import re
import subprocess
import sys

# Lowest first; folders in one tuple are siblings (may not include each
# other). The top-level headers common.h and banned.h are below everything.
ORDER = [
    ("util",),
    ("data",),
    ("net",),
    ("lang", "inventory", "transport", "source", "store", "report"),
    ("modkit",),
    ("modules",),
    ("playbook", "windows"),
    ("engine",),
    ("daemon",),
    ("cli",),
]
BASE = {"common.h", "banned.h"}
INCLUDE = re.compile(r'^\s*#\s*include\s+"tend/([^"]+)"', re.M)


def rank_of(layer):
    for i, group in enumerate(ORDER):
        if layer in group:
            return i
    return None


def sources(root):
    """(path, layer, unit) for every source and header of a layer."""
    out = []
    for layer in (l for g in ORDER for l in g):
        dirs = [os.path.join("include", "tend", layer)]
        dirs.append("modules" if layer == "modules"
                    else os.path.join("runner", layer))
        for d in dirs:
            full = os.path.join(root, d)
            if not os.path.isdir(full):
                continue
            for name in sorted(os.listdir(full)):
                if name.endswith((".c", ".h")):
                    out.append((os.path.join(d, name), layer,
                                unit_of(name)))
    return out


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    errors = []
    files = sources(root)
    # every .c under runner/ must be in a layer folder
    for dirpath, _, names in os.walk(os.path.join(root, "runner")):
        rel = os.path.relpath(dirpath, root)
        for n in names:
            if n.endswith(".c") and rank_of(rel.split(os.sep)[-1]) is None:
                errors.append(f"{os.path.join(rel, n)}: not in a layer folder")
    for n in sorted(os.listdir(os.path.join(root, "include", "tend"))):
        if n.endswith(".h") and n not in BASE:
            errors.append(f"include/tend/{n}: not in a layer folder")
    edges = {}
    for path, layer, unit in files:
        text = open(os.path.join(root, path), encoding="utf-8",
                    errors="replace").read()
        for inc in INCLUDE.findall(text):
            if inc in BASE:
                continue
            parts = inc.split("/")
            if len(parts) != 2:
                errors.append(f"{path} includes tend/{inc}: not a layer header")
                continue
            to_layer, to_unit = parts[0], unit_of(parts[1])
            to_rank = rank_of(to_layer)
            if to_rank is None:
                errors.append(f"{path} includes tend/{inc}: unknown layer "
                              f"'{to_layer}'")
                continue
            if not os.path.exists(os.path.join(root, "include", "tend", inc)):
                errors.append(f"{path} includes tend/{inc}: no such header")
                continue
            if to_layer == layer:
                if to_unit != unit:
                    edges.setdefault(unit_key(layer, unit), set()).add(
                        (unit_key(layer, to_unit), path, inc))
            elif to_rank > rank_of(layer):
                errors.append(f"{path} includes tend/{inc}: upward "
                              f"({layer} -> {to_layer})")
            elif to_rank == rank_of(layer):
                errors.append(f"{path} includes tend/{inc}: sibling "
                              f"({layer} -> {to_layer})")
    errors += cycles(edges)
    if len(sys.argv) > 2:
        errors += object_pass(root, sys.argv[2])
    for e in errors:
        print(f"check-layers: {e}", file=sys.stderr)
    if errors:
        print(f"check-layers: {len(errors)} error(s)", file=sys.stderr)
        return 1
    print(f"check-layers: ok ({len(files)} files, "
          f"{sum(len(g) for g in ORDER)} layers)")
    return 0


def object_pass(root, build):
    """The same rules over the symbols objects define and use."""
    objs = []
    for layer in (l for g in ORDER for l in g):
        d = os.path.join(build, "modules" if layer == "modules"
                         else os.path.join("runner", layer))
        if os.path.isdir(d):
            objs += [(os.path.join(d, n), layer, unit_of(n))
                     for n in sorted(os.listdir(d)) if n.endswith(".o")]
    if not objs:
        return [f"no objects under '{build}': build first"]
    defined, used = {}, {path: set() for path, _, _ in objs}
    where = {path: (path, layer, unit) for path, layer, unit in objs}
    # one nm for all (one each took 16 s): -A names the object per line
    out = subprocess.run(["nm", "-A"] + [path for path, _, _ in objs],
                         capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        path, _, rest = line.partition(":")
        f = rest.split()
        if len(f) == 3 and f[1] in "TDBRC":
            defined[f[2]] = where[path]
        elif len(f) == 2 and f[0] == "U":
            used[path].add(f[1])
    errors, edges = [], {}
    for path, layer, unit in objs:
        for sym in sorted(used[path]):
            if sym not in defined:
                continue
            to_path, to_layer, to_unit = defined[sym]
            rel = os.path.relpath(path, build)
            to_rel = os.path.relpath(to_path, build)
            if to_layer == layer:
                if to_unit != unit:
                    edges.setdefault(unit_key(layer, unit), set()).add(
                        (unit_key(layer, to_unit), rel, f"{sym} of {to_rel}"))
            elif rank_of(to_layer) > rank_of(layer):
                errors.append(f"{rel} uses {sym} of {to_rel}: upward "
                              f"({layer} -> {to_layer})")
            elif rank_of(to_layer) == rank_of(layer):
                errors.append(f"{rel} uses {sym} of {to_rel}: sibling "
                              f"({layer} -> {to_layer})")
    return errors + cycles(edges, "using")


def unit_of(name):
    """x.c, x.h and x_int.h are unit x."""
    base = name.rsplit(".", 1)[0]
    return base[:-4] if base.endswith("_int") else base


def unit_key(layer, unit):
    return f"{layer}/{unit}"


def cycles(edges, how="including"):
    """One error per cycle found among the units of a folder."""
    errors, state, stack = [], {}, []

    def visit(u):
        state[u] = 1
        stack.append(u)
        first = {}
        for v, path, inc in sorted(edges.get(u, ())):
            first.setdefault(v, (path, inc))
        for v, (path, inc) in sorted(first.items()):
            if state.get(v) == 1:
                cyc = stack[stack.index(v):] + [v]
                what = f"tend/{inc}" if how == "including" else inc
                errors.append(f"cycle {' -> '.join(cyc)} (closed by {path} "
                              f"{how} {what})")
            elif v not in state:
                visit(v)
        stack.pop()
        state[u] = 2

    for u in sorted(edges):
        if u not in state:
            visit(u)
    return errors


if __name__ == "__main__":
    sys.exit(main())
