#!/usr/bin/env python3
"""What Cargo cannot see of the layering (docs/src/architecture.md, "Code map"). Cargo holds the
big rule: `wxsession-core` (domain, store traits and memory store, ids, settings, metrics,
telemetry) depends on neither actix-web nor redis, so nothing in it can reach the HTTP edge or
the Redis store. Checked here, on the source of each of the two crates:

1. only `http/` names actix-web;
2. `domain/` imports neither `http` nor `cli`;
3. `store/` knows ids, tokens and the clock of the domain, nothing of its rules, and nothing of
   the layers above it (`http`, `cli`, `startup`);
4. no module cycles: every `crate::`/`super::`/`self::` path is an edge from the file that
   writes it to the module file it names (a module's edges to its own submodules excepted);
   the graph must be acyclic.

Also: no source file of the workspace over 300 lines, except declarative tables listed below.
Exit status 1 and one line per violation otherwise.
"""
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CRATES = [ROOT / "crates" / "wxsession" / "src", ROOT / "crates" / "wxsession-core" / "src"]
MAX_LINES = 300
# Declarative tables may be longer: the OpenAPI document is one JSON literal.
TABLES = {"crates/wxsession/src/http/openapi/mod.rs"}
STORE_MAY_USE = ("crate::domain::token", "crate::domain::clock", "crate::domain::ids")

problems = []


def module_of(path: Path, src: Path) -> tuple:
    rel = path.relative_to(src).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] in ("mod", "lib", "main"):
        parts = parts[:-1]
    return tuple(parts)


modules = {}

def strip_tests(text: str) -> str:
    """The file without its `#[cfg(test)]` items (tests may reach anywhere): each such item,
    a `mod … { … }` to its matching brace or anything else to its `;`, and nothing after it."""
    out, at = [], 0
    while (cut := text.find("#[cfg(test)]", at)) >= 0:
        out.append(text[at:cut])
        i = cut + len("#[cfg(test)]")
        brace, semi = text.find("{", i), text.find(";", i)
        if brace < 0 or (0 <= semi < brace):
            at = len(text) if semi < 0 else semi + 1
            continue
        depth, j = 0, brace
        while j < len(text):
            depth += {"{": 1, "}": -1}.get(text[j], 0)
            j += 1
            if depth == 0:
                break
        at = j
    out.append(text[at:])
    return "".join(out)


def resolve(current: tuple, path: list) -> tuple | None:
    """The longest module prefix a path names."""
    if not path:
        return None
    if path[0] == "crate":
        base, rest = (), path[1:]
    elif path[0] in ("super", "self"):
        base = current
        while path and path[0] in ("super", "self"):
            if path[0] == "super":
                base = base[:-1]
            path = path[1:]
        rest = path
    else:
        return None
    best = None
    for i in range(len(rest) + 1):
        candidate = base + tuple(rest[:i])
        if candidate in modules:
            best = candidate
    return best


PATH = re.compile(r"\b(?:crate|super|self)(?:::[A-Za-z_][A-Za-z0-9_]*)+")
USE_GROUP = re.compile(r"use\s+((?:crate|super|self)(?:::[A-Za-z_][A-Za-z0-9_]*)*)::\{([^;]*)\};", re.S)

def check_crate(src: Path) -> tuple:
    """Rules 1-4 on one crate; its module and edge counts."""
    global modules, edges, index, low, stack, on_stack, sccs
    modules = {module_of(p, src): p for p in sorted(src.rglob("*.rs"))}
    edges = {m: set() for m in modules}
    for module, path in modules.items():
        text = strip_tests(path.read_text())
        code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("//"))
        rel = path.relative_to(ROOT).as_posix()
        if "actix" in code and module[:1] != ("http",):
            problems.append(f"{rel}: names actix outside http/ (rule 1)")
        found = [m.group(0).split("::") for m in PATH.finditer(code)]
        for group in USE_GROUP.finditer(code):
            prefix = group.group(1).split("::")
            for item in re.split(r"[,\s]+", group.group(2)):
                item = item.strip().split(" as ")[0]
                if item and re.match(r"^[A-Za-z_]", item):
                    found.append(prefix + item.split("::"))
        for parts in found:
            target = resolve(module, parts)
            if target is None or target == module:
                continue
            # A module's own submodules are part of it.
            if target[: len(module)] == module:
                continue
            edges[module].add(target)
            if module[:1] == ("domain",) and target[:1] in (("http",), ("cli",)):
                problems.append(f"{rel}: domain/ uses {'::'.join(target)} (rule 2)")
            if module[:1] == ("store",) and target[:1] in (("http",), ("cli",), ("startup",)):
                problems.append(f"{rel}: store/ uses {'::'.join(target)} (rule 3)")
            if module[:1] == ("store",) and target[:1] == ("domain",):
                named = "crate::" + "::".join(target)
                if not named.startswith(STORE_MAY_USE):
                    problems.append(f"{rel}: store/ uses {named} (rule 3)")

    # Rule 4: strongly connected components with more than one module are cycles.
    index, low, stack, on_stack, sccs = {}, {}, [], set(), []


    def strongconnect(v):
        global index, low, stack, on_stack, sccs
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                strongconnect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            scc = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                scc.append(w)
                if w == v:
                    break
            sccs.append(scc)


    for v in edges:
        if v not in index:
            strongconnect(v)
    for scc in sccs:
        if len(scc) > 1:
            names = sorted("::".join(m) or "crate" for m in scc)
            problems.append(f"module cycle (rule 4): {' <-> '.join(names)}")


    return len(modules), sum(len(e) for e in edges.values())

sys.setrecursionlimit(10000)
counted = [0, 0]
for src in CRATES:
    n_modules, n_edges = check_crate(src)
    counted[0] += n_modules
    counted[1] += n_edges

for path in sorted((ROOT / "crates").glob("*/src/**/*.rs")):
    rel = path.relative_to(ROOT).as_posix()
    lines = len(path.read_text().splitlines())
    if lines > MAX_LINES and rel not in TABLES:
        problems.append(f"{rel}: {lines} lines (at most {MAX_LINES}: one idea per file)")

for p in problems:
    print(p)
print(f"layers: {counted[0]} modules, {counted[1]} edges, {len(problems)} problem(s)")
sys.exit(1 if problems else 0)
