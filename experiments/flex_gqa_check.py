#!/usr/bin/env python3
"""FlexAttention decode with grouped-query attention on CUDA: does `AREngine` give the eager SDPA decode's tokens?

A random Llama-shaped `CascadeLM` with SmolLM2's head geometry (d 576, 9 query heads of 64, rope base 1e5; weights x2 so
greedy text depends on the context), four prompts of 5, 300, 977 and 640 tokens, 48 greedy new tokens, float32. For
each `--kv_heads` value (3: grouped, as SmolLM2; 9: the same model without grouping) the AR engine runs eager and
graph-captured with SDPA and with FlexAttention; a row's score is the fraction of its new tokens equal to the eager
SDPA decode's; the flex rows run with `cascade.model.FLEX_GQA_PAD` (each group of query heads padded to a power of two
on the CUDA decode path) and, as `_nopad`, without it. Every configuration runs in its own subprocess, so a CUDA fault (an illegal memory access leaves the
context unusable) is recorded for that configuration only. `cascade.engine` refuses attn='flex' for grouped-query
models on CUDA since session 16; this script lifts the refusal (`FLEX_GQA_CUDA = True`) to test it.

    python experiments/flex_gqa_check.py --out results/flex_gqa_gpu.json
"""
import argparse, json, os, subprocess, sys, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
PROMPTS, NEW = (5, 300, 977, 640), 48
RUNS = (('eager_sdpa', False, 'sdpa'), ('eager_flex', False, 'flex'), ('graph_sdpa', True, 'sdpa'), ('graph_flex', True, 'flex'),
        ('eager_flex_nopad', False, 'flex'), ('graph_flex_nopad', True, 'flex'))   # _nopad: cascade.model.FLEX_GQA_PAD off

def one(kv:int, graphs:bool, attn:str, device:str='cuda', pad:bool=True) -> list:
    "The new tokens of `AREngine` on the test model with `kv` key/value heads (runs in a child process)."
    import torch
    import cascade.engine as E, cascade.model as M
    M.FLEX_GQA_PAD = pad
    from cascade.config import CascadeConfig
    from cascade.model import CascadeLM
    E.FLEX_GQA_CUDA = True
    torch.backends.cuda.matmul.allow_tf32 = False; torch.backends.cudnn.allow_tf32 = False
    torch.manual_seed(0)
    cfg = CascadeConfig(vocab_size=49154, d_model=576, n_layers=4, n_heads=9, n_kv_heads=kv, d_ff=1536, max_seq_len=1088,
                        block_size=1, token_shift=False, rope_base=100000.0)
    m = CascadeLM(cfg).to(device).eval()
    with torch.no_grad():
        for p in m.parameters(): p.mul_(2.0)
    g = torch.Generator().manual_seed(1)
    prs = [torch.randint(3, 49000, (n,), generator=g).tolist() for n in PROMPTS]
    out = E.AREngine(m, len(prs), max(PROMPTS), NEW, graphs=graphs, attn=attn).generate(prs).tokens
    if device == 'cuda': torch.cuda.synchronize()
    return out

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--kv_heads', type=int, nargs='+', default=[3, 9], help='key/value heads (9 query heads; 9 = no grouping)')
    ap.add_argument('--out', default='results/flex_gqa_gpu.json')
    ap.add_argument('--device', default='cuda', choices=('cuda', 'cpu'), help='cpu: a dry run of the eager paths (exact there)')
    ap.add_argument('--child', nargs=5, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        kv, graphs, attn, dev, pad = int(a.child[0]), a.child[1] == '1', a.child[2], a.child[3], a.child[4] == '1'
        print(json.dumps(one(kv, graphs, attn, dev, pad))); return 0
    bad = [k for k in a.kv_heads if k < 1 or 9 % k]
    if bad: raise SystemExit(f'--kv_heads {bad}: must divide the 9 query heads')
    import torch
    if a.device == 'cuda' and not torch.cuda.is_available(): raise SystemExit('flex_gqa_check: no CUDA here (--device cpu: a dry run)')
    from tqdm import tqdm
    from cascade.results import make_result, write_result
    res, t0 = {}, time.time()
    cfg = dict(vars(a), prompts=PROMPTS, new_tokens=NEW, n_heads=9, head_dim=64, d_model=576, n_layers=4,
               score='per prompt, the fraction of new tokens equal to the eager SDPA decode (float32, TF32 off)')
    cfg.pop('child')
    cmd = 'python experiments/flex_gqa_check.py ' + ' '.join(sys.argv[1:] if argv is None else argv)
    for kv in tqdm(a.kv_heads, desc='kv heads'):
        toks = {}
        for name, graphs, attn in RUNS if a.device == 'cuda' else RUNS[:2]:          # no CUDA graphs on the CPU
            pad = '0' if name.endswith('_nopad') else '1'
            p = subprocess.run([sys.executable, __file__, '--child', str(kv), '1' if graphs else '0', attn, a.device, pad], capture_output=True, text=True)
            lines = p.stdout.strip().splitlines()
            toks[name] = json.loads(lines[-1]) if p.returncode == 0 and lines else (p.stderr.strip().splitlines() or ['?'])[-1][:300]
        ref = toks['eager_sdpa']
        res[f'kv{kv}'] = {n: t if isinstance(t, str) else [sum(x == y for x, y in zip(r, s)) / len(s) for r, s in zip(t, ref)]
                          for n, t in toks.items()}
        print(kv, json.dumps(res[f'kv{kv}']), flush=True)
        path = write_result(a.out, make_result(Path(a.out).stem, 'check', cfg, dict(rows=res, wall_s=time.time() - t0, complete=kv == a.kv_heads[-1]),
                                               command=cmd))   # after each configuration: a run cut short keeps its rows
    print(f'wrote {path}')
    return 0

if __name__ == '__main__': sys.exit(main())
