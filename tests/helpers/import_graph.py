"""The import graph of tinyres and tinyres.kernels, read from the source with ast (nothing is
imported, so it runs anywhere, on any checkout):

    python -m tests.helpers.import_graph            # the summary, from the repository root
    python -m tests.helpers.import_graph --edges    # and every edge, module by module
    python tests/helpers/import_graph.py PATH       # the checkout at PATH

The summary: how many modules and import edges; the cycles (strongly connected groups: modules
that import each other, directly or through others); the upward imports (a module of kernels/
importing tinyres outside tinyres.kernels); the late imports, those inside a function or at
module level below the first def or class. A late import either puts off an optional
third-party package (CuPy, mpi4py, matplotlib, ...), which is fine, or holds a cycle inside
tinyres together, which tests/core/test_import_graph.py refuses.
"""
import argparse
import ast
import dataclasses
import os
import sys

PACKAGES = {"tinyres": "tinyres", "kernels": "tinyres.kernels"}  # folder -> package name


@dataclasses.dataclass(frozen=True)
class Import:
    """One import statement's edge: source module -> target (a module of the graph, or the
    top-level name of an outside package), with the line and whether it is late."""

    source: str
    target: str
    line: int
    late: bool
    text: str

    @property
    def internal(self):
        return self.target == "tinyres" or self.target.startswith("tinyres.")


def find_modules(root):
    """{module name: file path} of every .py file under tinyres/ and kernels/."""
    found = {}
    for folder, package in PACKAGES.items():
        for directory, _, files in os.walk(os.path.join(root, folder)):
            for name in sorted(files):
                if not name.endswith(".py"):
                    continue
                path = os.path.join(directory, name)
                rel = os.path.relpath(path, os.path.join(root, folder))[:-3]
                parts = [package] + [p for p in rel.split(os.sep) if p != "__init__"]
                found[".".join(parts)] = path
    return found


def _absolute(module, is_package, node):
    """The absolute name an ImportFrom's `from X` part refers to."""
    if not node.level:
        return node.module or ""
    parts = module.split(".")
    parts = parts[:len(parts) - node.level + (1 if is_package else 0)]
    return ".".join(parts + ([node.module] if node.module else []))


def _targets(module, is_package, node, modules):
    """The modules (of the graph, else outside top-level packages) one import names."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = _absolute(module, is_package, node)
        names = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base
                 for a in node.names]
    result = []
    for name in names:
        while name not in modules and "." in name and name.startswith("tinyres"):
            name = name.rpartition(".")[0]  # tinyres.x.func -> tinyres.x
        result.append(name if name in modules else name.partition(".")[0])
    return result


def read_imports(module, path, modules):
    """Every import edge of one module, in source order."""
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read(), path)
    first_def = min((n.lineno for n in tree.body if isinstance(
        n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))), default=None)
    top_level = {id(n) for n in tree.body}
    is_package = path.endswith("__init__.py")
    edges = []
    for node in ast.walk(tree):
        if not isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        late = id(node) not in top_level or (first_def is not None and node.lineno > first_def)
        for target in _targets(module, is_package, node, modules):
            if target != module:
                edges.append(Import(module, target, node.lineno, late, ast.unparse(node)))
    return sorted(set(edges), key=lambda e: (e.line, e.target))


def strongly_connected(graph):
    """The groups of two or more nodes that reach each other (Tarjan's algorithm, iterative)."""
    index, low, on_stack, stack, groups, counter = {}, {}, set(), [], [], [0]
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.add(member)
                        if member == node:
                            break
                    if len(group) > 1:
                        groups.append(sorted(group))
            elif child not in index:
                index[child] = low[child] = counter[0]
                counter[0] += 1
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(graph[child]))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return sorted(groups)


@dataclasses.dataclass
class Graph:
    """modules: {name: path}; imports: every Import edge."""

    modules: dict
    imports: list

    def edges(self):
        """{module: set of the graph's modules it imports}."""
        graph = {m: set() for m in self.modules}
        for e in self.imports:
            if e.target in self.modules:
                graph[e.source].add(e.target)
        return graph

    def cycles(self):
        return strongly_connected(self.edges())

    def upward(self):
        """Imports from kernels/ (tinyres.kernels) into the rest of tinyres."""
        return [e for e in self.imports if e.source.startswith("tinyres.kernels")
                and e.internal and not e.target.startswith("tinyres.kernels")]

    def late(self, internal=None):
        """Late imports: all, only those inside tinyres (True), or only outside ones (False)."""
        return [e for e in self.imports if e.late and internal in (None, e.internal)]


def build(root):
    """The Graph of the checkout at root."""
    modules = find_modules(root)
    imports = [e for m, p in modules.items() for e in read_imports(m, p, modules)]
    return Graph(modules, imports)


def _late_lines(imports):
    """One line per import statement (a statement naming several modules counts once)."""
    seen, lines = set(), []
    for e in imports:
        if (e.source, e.line) not in seen:
            seen.add((e.source, e.line))
            lines.append(f"    {e.source}:{e.line}  {e.text}")
    return lines


def summary(graph):
    """The report's lines."""
    internal = graph.edges()
    lines = [f"{len(graph.modules)} modules, {sum(map(len, internal.values()))} import edges"
             " between them"]
    cycles = graph.cycles()
    lines.append(f"cycles (strongly connected groups): {len(cycles)}")
    lines += [f"    {len(group)} modules: {', '.join(group)}" for group in cycles]
    upward = graph.upward()
    lines.append(f"upward imports from kernels/ into the engine: {len(upward)}")
    lines += [f"    {e.source}:{e.line} -> {e.target}" for e in upward]
    for label, internal_only in (("inside tinyres", True), ("of outside packages", False)):
        late = _late_lines(graph.late(internal_only))
        lines.append(f"late imports {label}: {len(late)}")
        lines += late
    return lines


def main(argv=None):
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("root", nargs="?", default=os.path.dirname(os.path.dirname(here)),
                        help="the checkout (default: this one)")
    parser.add_argument("--edges", action="store_true", help="also list every edge")
    args = parser.parse_args(argv)
    graph = build(args.root)
    print("\n".join(summary(graph)))
    if args.edges:
        for module, targets in sorted(graph.edges().items()):
            print(f"{module} -> {', '.join(sorted(targets)) or '(nothing)'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
