"""Batch latency of the engine backend behind `cascade serve`, with and without `cascade.hf.EngineCache`.

A server decodes a stream of batches of changing size, prompt lengths and limits. With `engines=None`, `decode_rows`
builds an engine (static buffers, CUDA graph capture) for every batch; with an `EngineCache` it builds one per shape
(`engine_shape`: powers of two) and replays it afterwards. This script sends the same seeded stream of batches
(sizes 1..`--max_batch`, prompts 1..`--prompt_max` tokens, limits 1..`--max_new`) through both, for `BlockEngine`
(a step rule on a block-diffusion model) and `VerifyEngine` (`verify` on a clean-causal one), on random weights of the
nano shape (an engine's build time does not depend on the weights; tokens per forward of `verify` does, so tokens/s
here is not the trained model's), and reports per batch the wall time from the call to its last token: median, p90
and total for a fresh engine per batch, for the cache's first pass (cold: the builds included) and its second pass over
the same stream (warm), plus the engines built. Greedy: the cached tokens must equal the fresh ones (checked).

    python experiments/serve_latency.py --out results/serve_latency_gpu.json
    python experiments/serve_latency.py --device cpu --tiny --batches 4 --out /tmp/serve_latency_cpu.json   # a smoke test
"""
import argparse, random, statistics, time
from pathlib import Path
import torch
from tqdm.auto import tqdm
from cascade.config import CascadeConfig
from cascade.model import CascadeLM
from cascade.hf import decode_rows, EngineCache
from cascade.results import make_result, write_result


def stream_of_batches(seed:int, n:int, max_batch:int, prompt_max:int, max_new:int, vocab:int) -> list:
    "n batches: (prompts, limits), sizes, prompt lengths and limits drawn uniformly (ids >= 3: no pad, EOS or mask)."
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        B = rng.randint(1, max_batch)
        out.append(([[rng.randint(3, vocab - 1) for _ in range(rng.randint(1, prompt_max))] for _ in range(B)],
                    [rng.randint(1, max_new) for _ in range(B)]))
    return out


def run(model, batches, rule, engines, sync):
    "Per batch: (wall seconds, tokens per row) decoding it with the engine backend."
    walls, toks = [], []
    for prompts, lim in batches:
        sync(); t = time.perf_counter()
        rows = [[] for _ in prompts]
        for st in decode_rows(model, prompts, rule, lim, backend='engine', engines=engines):
            for r, new in enumerate(st.new): rows[r] += new
        sync(); walls.append(time.perf_counter() - t); toks.append(rows)
    return walls, toks


def summary(walls:list, toks:list) -> dict:
    n_tok = sum(len(r) for b in toks for r in b)
    w = sorted(walls)
    return dict(batches=len(walls), median_ms=1e3 * statistics.median(w), p90_ms=1e3 * w[min(len(w) - 1, int(0.9 * len(w)))],
                total_s=sum(w), tokens=n_tok, tokens_per_s=n_tok / sum(w) if sum(w) > 0 else None, per_batch_s=walls)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--batches', type=int, default=24)
    ap.add_argument('--max_batch', type=int, default=16)
    ap.add_argument('--prompt_max', type=int, default=200)
    ap.add_argument('--max_new', type=int, default=64)
    ap.add_argument('--block_size', type=int, default=4)
    ap.add_argument('--cache_size', type=int, default=8)
    ap.add_argument('--tiny', action='store_true', help='a tiny model shape (CPU smoke test)')
    ap.add_argument('--device', default='cuda')
    ap.add_argument('--dtype', default='bfloat16', choices=('bfloat16', 'float32'))
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--out', default='results/serve_latency_gpu.json')
    a = ap.parse_args(argv)
    if min(a.batches, a.max_batch, a.prompt_max, a.max_new, a.block_size, a.cache_size) < 1:
        raise SystemExit('--batches, --max_batch, --prompt_max, --max_new, --block_size and --cache_size must be >= 1')
    if a.device.startswith('cuda') and not torch.cuda.is_available(): raise SystemExit('no CUDA device: pass --device cpu')
    shape = (dict(vocab_size=256, d_model=64, n_layers=2, n_heads=2, d_ff=128, max_seq_len=512) if a.tiny else
             dict(vocab_size=8192, d_model=512, n_layers=8, n_heads=8, d_ff=1408, max_seq_len=1024))   # the nanos (checkpoints/README.md)
    if a.prompt_max + a.max_new + a.block_size > shape['max_seq_len']: raise SystemExit('--prompt_max + --max_new do not fit max_seq_len')
    dev, dt = torch.device(a.device), getattr(torch, a.dtype)
    sync = torch.cuda.synchronize if dev.type == 'cuda' else (lambda: None)
    torch.set_grad_enabled(False)
    batches = stream_of_batches(a.seed, a.batches, a.max_batch, a.prompt_max, a.max_new, shape['vocab_size'])
    rows = []
    engines = {}
    for key, name, rule, cc in (('fixed', 'block', f'fixed:{a.block_size}', False), ('threshold', 'block', 'threshold:0.9', False),
                                ('verify', 'verify', 'verify', True)):
        torch.manual_seed(a.seed)
        cfg = CascadeConfig(**shape, block_size=a.block_size, token_shift=True, clean_causal=cc)
        model = CascadeLM(cfg).to(dev, dt).eval()
        run(model, batches[:1], rule, None, sync)                            # one warm-up batch: CUDA context, kernels, autotuning
        fresh = run(model, tqdm(batches, desc=f'{rule} fresh'), rule, None, sync)
        cache = EngineCache(model, size=a.cache_size)
        cold = run(model, tqdm(batches, desc=f'{rule} cache, cold'), rule, cache, sync)
        built_cold = cache.built
        warm = run(model, tqdm(batches, desc=f'{rule} cache, warm'), rule, cache, sync)
        same = fresh[1] == cold[1] == warm[1]
        r = dict(engine={'block': 'BlockEngine', 'verify': 'VerifyEngine'}[name], rule=rule, tokens_equal=same,
                 engines_built_cold=built_cold, engines_built_warm=cache.built - built_cold,
                 fresh=summary(*fresh), cached_cold=summary(*cold), cached_warm=summary(*warm))
        r['warm_speedup_median'] = r['fresh']['median_ms'] / r['cached_warm']['median_ms']
        r['cold_speedup_total'] = r['fresh']['total_s'] / r['cached_cold']['total_s']
        print(f"{rule:14s} fresh median {r['fresh']['median_ms']:8.1f} ms  cached warm {r['cached_warm']['median_ms']:8.1f} ms "
              f"(x{r['warm_speedup_median']:.1f}); totals fresh {r['fresh']['total_s']:.2f} s, cold {r['cached_cold']['total_s']:.2f} s, "
              f"warm {r['cached_warm']['total_s']:.2f} s; engines {built_cold} (+{r['engines_built_warm']}); tokens equal: {same}")
        rows.append(r); engines[key] = r
        del model, cache
    cfg_out = dict(vars(a), shape=shape, weights='random (seeded): build and replay times do not depend on them',
                   batch_sizes=[len(p) for p, _ in batches])
    out = dict(engines=engines, all_tokens_equal=all(r['tokens_equal'] for r in rows))
    p = write_result(a.out, make_result(Path(a.out).stem, 'serve_latency', cfg_out, out, seed=a.seed, device=str(dev)))
    print(f'wrote {p}')
    if not out['all_tokens_equal']: raise SystemExit('cached engines gave other tokens than fresh ones')


if __name__ == '__main__':
    main()
