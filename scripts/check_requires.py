#!/usr/bin/env python3
"""Check, in the running Python, that the distributions named and everything they require (Requires-Dist, extras
followed, markers of this interpreter) are installed at versions that meet each requirement. Prints one line per
problem and exits 1 if there is any; `-v` prints the whole closure. Needs only `packaging` (the GPU image has it).

    python3 scripts/check_requires.py lm_eval datasets evaluate fastcore
"""
import importlib.metadata as md, sys
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

def closure(roots):
    "{name: (version or None, [(requirer, Requirement)])} over the Requires-Dist closure of `roots`."
    seen, todo = {}, [(r, None, ()) for r in roots]
    while todo:
        name, req, extras = todo.pop()
        n = canonicalize_name(name)
        first = n not in seen
        if first:
            try: seen[n] = (md.distribution(name).version, [])
            except md.PackageNotFoundError: seen[n] = (None, [])
        if req is not None: seen[n][1].append(req)
        if seen[n][0] is None or not (first or extras): continue
        for s in md.distribution(name).requires or []:
            r = Requirement(s)
            if r.marker and not any(r.marker.evaluate({'extra': e}) for e in ('', *extras)): continue
            todo.append((r.name, (n, r), tuple(r.extras)))
    return seen

def main(argv):
    verbose = '-v' in argv; roots = [a for a in argv if a != '-v']
    if not roots: print(__doc__); return 2
    bad = 0
    for n, (v, reqs) in sorted(closure(roots).items()):
        unmet = [f'{who} wants {r}' for who, r in reqs if v is not None and r.specifier and not r.specifier.contains(v, prereleases=True)]
        if v is None: bad += 1; print(f'MISSING  {n}  (' + '; '.join(f'{w} wants {r}' for w, r in reqs) + ')')
        elif unmet: bad += 1; print(f'CONFLICT {n}=={v}  (' + '; '.join(unmet) + ')')
        elif verbose: print(f'ok       {n}=={v}')
    print(f'check_requires: {bad} problem(s) in the closure of {" ".join(roots)}')
    return 1 if bad else 0

if __name__ == '__main__': sys.exit(main(sys.argv[1:]))
