#!/usr/bin/env python3
"""layers.py ARCHIVE - the objects of the release library and who uses whom.

An object A uses B when a global symbol A leaves undefined is defined by B
(`nm -P -A` over the archive). Issue 19: no object of the release build uses
a symbol of an object that uses one of its own, directly or through others.
Prints one line per cycle (a strongly connected component of more than one
object), with the symbols that close it, and exits 1 if there is any."""
import subprocess
import sys


def read(archive):
    out = subprocess.run(["nm", "-P", "-A", archive], capture_output=True, text=True,
                         check=True).stdout
    defined, undefined = {}, {}
    for line in out.splitlines():
        head, _, rest = line.partition(": ")
        if "[" not in head:
            continue
        obj = head[head.index("[") + 1:head.rindex("]")]
        parts = rest.split()
        if len(parts) < 2:
            continue
        name, kind = parts[0], parts[1]
        defined.setdefault(obj, set())
        undefined.setdefault(obj, set())
        if kind == "U":
            undefined[obj].add(name)
        elif kind in "TDBRGSVW":
            defined[obj].add(name)
    return defined, undefined


def cycles(edges):
    index, low, stack, on, found = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def main():
    defined, undefined = read(sys.argv[1])
    owner = {}
    for obj, syms in defined.items():
        for s in syms:
            owner.setdefault(s, obj)
    edges = {o: sorted({owner[s] for s in undefined[o] if s in owner and owner[s] != o})
             for o in defined}
    found = cycles(edges)
    for comp in found:
        members = set(comp)
        links = []
        for a in comp:
            for b in edges[a]:
                if b in members:
                    syms = sorted(s for s in undefined[a] if owner.get(s) == b)
                    links.append("%s->%s (%s)" % (a, b, ", ".join(syms[:3])))
        print("cycle: " + "; ".join(links))
    print("%d objects, %d cycles" % (len(edges), len(found)))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
