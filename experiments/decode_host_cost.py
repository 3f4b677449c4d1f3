"""The host's share of `decode_until` (lm-eval's `generate_until` on the GPU engines): after every block the loop looks
for the stop string in each row's text. This times that work alone, on the CPU, with no model: a stand-in for
`BlockEngine.stream` replays real tokens of `data/sample/val.bin` block by block (`--rows` rows of `--new` tokens,
`--block` a block, stop at the newline, the nano tokenizer decoding), through `decode_until` of this tree and of an
earlier commit (`--before`, read with `git show`), interleaved `--repeats` times. Milliseconds per batch and per block
read, and the rows' tokens up to the newline.

    python experiments/decode_host_cost.py --before 8ae5168 --out results/decode_host_cost_cpu.json
"""
import argparse, subprocess, sys, time, types
from pathlib import Path
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--before', default='8ae5168', help="a commit whose decode_until is timed against this tree's")
    ap.add_argument('--rows', type=int, default=64)
    ap.add_argument('--new', type=int, default=48, help='tokens per row (code_line: max_gen_toks 48)')
    ap.add_argument('--block', type=int, default=4)
    ap.add_argument('--repeats', type=int, default=5)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--out', required=True)
    a = ap.parse_args(argv)
    if min(a.rows, a.new, a.block, a.repeats) < 1 or a.new % a.block: raise SystemExit('sizes must be >= 1 and --new a multiple of --block')
    try: src = subprocess.run(['git', 'show', f'{a.before}:cascade/evaluation.py'], cwd=ROOT, check=True, capture_output=True, text=True).stdout
    except subprocess.CalledProcessError as e: raise SystemExit(f'--before {a.before}: {e.stderr.strip()}')
    import numpy as np, torch
    import cascade.evaluation as now
    from cascade.data import load_tokenizer
    from cascade.sampler import BlockEvent, FixedK
    from cascade.results import make_result, write_result
    i = src.index('def decode_until'); j = src.index('# %%', i)
    ns = dict(vars(now)); exec(src[i:j], ns)                              # the earlier function, with this tree's helpers
    fns = {'before': ns['decode_until'], 'now': now.decode_until}
    tok = load_tokenizer(); dec = lambda ids: tok.decode(list(ids))
    val = np.fromfile(ROOT / 'data/sample/val.bin', dtype=np.uint16)
    rng = np.random.default_rng(a.seed)
    rows = [val[s:s + a.new].astype(np.int64) for s in rng.integers(0, len(val) - a.new, size=a.rows)]
    B, N, bs = a.rows, a.new, a.block
    model = types.SimpleNamespace(cfg=types.SimpleNamespace(block_size=bs, eos_id=1, clean_causal=False, token_shift=True))
    class Replay:                                                         # BlockEngine.stream's events, the tokens given
        def stream(self, prompts):
            for b in range(N // bs):
                t = torch.tensor(np.stack([r[b * bs:(b + 1) * bs] for r in rows]))
                yield BlockEvent(b, torch.full((B,), 8 + b * bs), t, torch.full((B,), bs), (b + 1) * bs, 0, torch.zeros(B, dtype=torch.bool))
    prompts = [[5] * 8 for _ in range(B)]
    for d in (ns, vars(now)): d['is_causal_lm'] = lambda m: False           # the stand-in model is a block model
    ms, outs = {k: [] for k in fns}, {}
    for _ in range(a.repeats):
        for k, f in fns.items():
            t0 = time.perf_counter()
            outs[k] = f(model, prompts, N, dec, ['\n'], FixedK(bs), engine=Replay())
            ms[k].append((time.perf_counter() - t0) * 1e3)
    (out_b, batch_b), (out_n, batch_n) = outs['before'], outs['now']
    same = [r['text'] for r in out_b] == [r['text'] for r in out_n]
    blocks = batch_n['nfe'] // bs
    toks = [r['tokens'] for r in out_n]
    rowsout = [dict(code=k, ms_per_batch=float(np.median(v)), ms_per_block=float(np.median(v)) / blocks, ms_all=v) for k, v in ms.items()]
    for r in rowsout: print(f"{r['code']:6s} {r['ms_per_batch']:.2f} ms a batch, {r['ms_per_block']:.3f} ms a block")
    conf = dict(before=a.before, rows=B, new=N, block=bs, repeats=a.repeats, stop='\\n', tokenizer='nano (cascade.data.load_tokenizer)')
    res = make_result(Path(a.out).stem, 'decode_host_cost', conf,
                      dict(rows=rowsout, blocks_read=blocks, same_texts=same, tokens_mean=float(np.mean(toks)), tokens_max=int(max(toks))),
                      seed=a.seed, command='python experiments/decode_host_cost.py ' + ' '.join(argv if argv is not None else sys.argv[1:]))
    print('wrote', write_result(a.out, res))


if __name__ == '__main__': main()
