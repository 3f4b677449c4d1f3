#!/usr/bin/env python3
"""Pack model folders (e.g. checkpoints/train_ar, checkpoints/convert_b4) into carry folders for the GPU machine.

A device call carries the working tree plus named ignored paths, 64 MiB in all, and a nano checkpoint alone is 58 MiB,
so checkpoints travel file by file over several back-to-back calls into a folder that survives between them
(/root/keep). This script fills `.carry/ck_00`, `.carry/ck_01`, ... (gitignored) with whole files, each folder small
enough to travel beside the tree (measured here: tracked and untracked-not-ignored files, the `checkpoints/` folder
excluded, since it must be moved aside for the calls) and the other carried paths (`--with`, e.g. `.whl`), and prints
one call per folder. Every call copies its files into /root/keep/ck; the last one can then load the models from there
(`CascadeLM.from_pretrained` checks every file's sha256 against the folder's manifest).

    python scripts/gpu_pack_checkpoints.py checkpoints/train_ar checkpoints/convert_b4 --with .whl
"""
import argparse, shutil, subprocess, sys
from pathlib import Path

MIB = 1 << 20

def tree_bytes(root:Path) -> int:
    "Bytes of what a device call carries from the tree: tracked files and untracked files git does not ignore, checkpoints/ left out."
    out = subprocess.run(['git', 'ls-files', '-z', '--cached', '--others', '--exclude-standard'], cwd=root,
                         capture_output=True, check=True).stdout.split(b'\0')
    files = [root / f.decode() for f in out if f and not f.decode().startswith('checkpoints/')]
    return sum(f.stat().st_size for f in files if f.is_file())

def path_bytes(p:Path) -> int:
    return p.stat().st_size if p.is_file() else sum(f.stat().st_size for f in p.rglob('*') if f.is_file())

def pack(models, out_root:Path, budget:int) -> list[list[tuple[Path, str]]]:
    "Files of every model folder (name/file) into bins of at most `budget` bytes, in folder order; a file above the budget is an error."
    bins, cur, size = [], [], 0
    for m in models:
        for f in sorted(p for p in m.rglob('*') if p.is_file()):
            n = f.stat().st_size
            if n > budget: raise SystemExit(f'{f} is {n / MIB:.1f} MiB, more than the {budget / MIB:.1f} MiB a call has room for')
            if size + n > budget: bins.append(cur); cur, size = [], 0
            cur.append((f, f'{m.name}/{f.relative_to(m)}')); size += n
    if cur: bins.append(cur)
    return bins

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('models', nargs='+', help='model folders (each written by save_pretrained)')
    ap.add_argument('--with', dest='extra', nargs='*', default=[], help='other paths every call carries (e.g. .whl)')
    ap.add_argument('--limit_mib', type=float, default=64.0, help="a call's carry limit")
    ap.add_argument('--margin_mib', type=float, default=1.0, help='kept free for files written before the calls')
    ap.add_argument('--out', default='.carry', help='where the ck_NN folders go (gitignored)')
    a = ap.parse_args(argv)
    root = Path(subprocess.run(['git', 'rev-parse', '--show-toplevel'], capture_output=True, text=True, check=True).stdout.strip())
    models = [Path(m) for m in a.models]
    for m in models:
        if not (m / 'manifest.json').is_file(): raise SystemExit(f'{m}: not a model folder (no manifest.json)')
    if len({m.name for m in models}) != len(models): raise SystemExit('two model folders share a name')
    tree, extra = tree_bytes(root), sum(path_bytes(Path(p)) for p in a.extra)
    room = int((a.limit_mib - a.margin_mib) * MIB) - tree                 # what a call has beside the tree
    if room - extra <= 0: raise SystemExit(f'the tree and --with paths already take {(tree + extra) / MIB:.1f} MiB of {a.limit_mib} MiB')
    bins = pack(models, Path(a.out), room)                               # copy-only calls carry no --with paths
    out = Path(a.out)
    for old in out.glob('ck_*'): shutil.rmtree(old)
    dirs = []
    for i, b in enumerate(bins):
        d = out / f'ck_{i:02d}'; dirs.append(d)
        for src, rel in b:
            (d / rel).parent.mkdir(parents=True, exist_ok=True); shutil.copy2(src, d / rel)
    last_fits = path_bytes(dirs[-1]) + extra <= room                      # the --with paths ride on the last copy call if they fit
    for i, d in enumerate(dirs):
        carry = [str(d)] + (list(a.extra) if i == len(dirs) - 1 and last_fits else [])
        size = tree + path_bytes(d) + (extra if len(carry) > 1 else 0)
        print(f'call {i + 1}: carry {carry} ({size / MIB:.1f} MiB with the tree): mkdir -p /root/keep/ck && cp -r {d}/* /root/keep/ck/'
              + (' && <the job>' if i == len(dirs) - 1 and last_fits else ''))
    if not last_fits:
        print(f'call {len(dirs) + 1}: carry {list(a.extra)} ({(tree + extra) / MIB:.1f} MiB with the tree): <the job>')
    print(f'the job loads the models from /root/keep/ck/<name> (tree {tree / MIB:.1f} MiB; move checkpoints/ aside for the calls)')
    return 0

if __name__ == '__main__': sys.exit(main())
