"""Imports between psimon's modules: top-level modules that import from a higher floor,
and circles among top-level modules and among the files of one module."""
import os, re, sys
root = sys.argv[1]
FLOORS = ['stats window data', 'binning', 'evaluate', 'fairness event', 'config', 'kafka',
          'state join', 'output', 'pipeline', 'cli']
floor = {m: i for i, ms in enumerate(FLOORS) for m in ms.split()}
def top_of(path):
    rel = os.path.relpath(path, root)
    parts = rel.split(os.sep)
    return parts[0][:-3] if len(parts) == 1 else parts[0]
edges = {}
file_edges = {}
for d, _, fs in os.walk(root):
    for f in fs:
        if not f.endswith('.rs'): continue
        p = os.path.join(d, f)
        text = open(p).read()
        text = text.split('#[cfg(test)]')[0]  # tests may reach anywhere
        src = top_of(p)
        for m in re.findall(r'crate::([a-z_]+)', text):
            if m != src: edges.setdefault(src, set()).add(m)
        # file-level: super::x within the same directory
        for m in re.findall(r'super::([a-z_]+)', text):
            file_edges.setdefault((d, f[:-3]), set()).add((d, m))
ups = [(s, t) for s, ts in edges.items() for t in ts if s in floor and t in floor and floor[t] > floor[s]]
print('imports that run up:', len(ups), sorted(ups))
print('unknown modules:', sorted({s for s in edges if s not in floor} | {t for ts in edges.values() for t in ts if t not in floor}))
def cycles(g):
    out = set()
    for a in g:
        for b in g.get(a, ()):
            if a in g.get(b, ()) and a != b: out.add(tuple(sorted((str(a), str(b)))))
    return out
print('top-level circles (pairs):', sorted(cycles(edges)))
print('file circles (pairs):', sorted(cycles(file_edges)))

def sccs(g):
    index, low, stack, on, out, i = {}, {}, [], set(), [], [0]
    nodes = set(g) | {t for ts in g.values() for t in ts}
    def visit(v):
        index[v] = low[v] = i[0]; i[0] += 1; stack.append(v); on.add(v)
        for w in g.get(v, ()):
            if w not in index:
                visit(w); low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop(); on.discard(w); comp.append(w)
                if w == v: break
            if len(comp) > 1: out.append(sorted(map(str, comp)))
    import sys as _s; _s.setrecursionlimit(10000)
    for v in nodes:
        if v not in index: visit(v)
    return out
# file graph with crate::top::file references too
fg = {}
for d, _, fs in os.walk(root):
    for f in fs:
        if not f.endswith('.rs'): continue
        p = os.path.join(d, f)
        text = open(p).read().split('#[cfg(test)]')[0]
        node = os.path.relpath(p, root)[:-3].replace('/mod', '')
        for m in re.findall(r'super::([a-z_]+)', text):
            base = os.path.dirname(node) if not f == 'mod.rs' else os.path.dirname(node)
            fg.setdefault(node, set()).add(os.path.join(os.path.dirname(node), m) if os.path.dirname(node) else m)
        for path in re.findall(r'crate::([a-z_]+(?:::[a-z_]+)*)', text):
            parts = path.split('::')
            # the longest prefix that is a file or directory under root
            for k in range(len(parts), 0, -1):
                cand = '/'.join(parts[:k])
                if os.path.exists(os.path.join(root, cand + '.rs')) or os.path.isdir(os.path.join(root, cand)):
                    if cand != node: fg.setdefault(node, set()).add(cand)
                    break
# a file's module directory (x for x.rs with x/) stands for its children's parent: drop parent<->child edges
fg = {a: {b for b in bs if not (b.startswith(a + '/') or a.startswith(b + '/'))} for a, bs in fg.items()}
print('top-level cycles:', sccs(edges))
print('file-level cycles:', sccs(fg))
