#!/usr/bin/env python3
"""Run an experiment notebook's code cells in order in one namespace, with papermill's parameters, where papermill is
not installed (the GPU image has no package registry and no papermill). The values given with -p replace the ones of
the cell tagged `parameters`, right after it runs, as papermill's injected cell does; the working directory is the
notebook's folder. Nothing is written but what the notebook writes (no executed copy).

    python scripts/run_notebook.py experiments/adaptive_real.ipynb -p name b4_gpu -p device cuda
"""
import json, os, sys

def value(s:str):
    "A -p value as papermill's command line reads it: None, a bool, an int, a float, else the string."
    if s == 'None': return None
    if s in ('True', 'False'): return s == 'True'
    for cast in (int, float):
        try: return cast(s)
        except ValueError: pass
    return s

def main(argv):
    if not argv or argv[0] in ('-h', '--help'): print(__doc__); return 0
    path, args, params = os.path.abspath(argv[0]), argv[1:], {}
    while args:
        if args[0] != '-p' or len(args) < 3: raise SystemExit(f'run_notebook: expected "-p NAME VALUE", got {args[:3]}')
        params[args[1]] = value(args[2]); args = args[3:]
    cells = [c for c in json.load(open(path))['cells'] if c['cell_type'] == 'code']
    if params and not any('parameters' in c['metadata'].get('tags', []) for c in cells):
        raise SystemExit(f'run_notebook: {path} has no cell tagged "parameters"')
    os.chdir(os.path.dirname(path))
    ns = {'__name__': '__main__'}
    for i, c in enumerate(cells):
        exec(compile(''.join(c['source']), f'{os.path.basename(path)} [code cell {i}]', 'exec'), ns)
        if 'parameters' in c['metadata'].get('tags', []):
            unknown = sorted(set(params) - set(ns))
            if unknown: raise SystemExit(f'run_notebook: unknown parameter(s) {unknown}')
            ns.update(params)
    return 0

if __name__ == '__main__': sys.exit(main(sys.argv[1:]))
