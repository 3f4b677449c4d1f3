"""Throughput and latency of `cascade serve`'s scheduler under a burst of requests: continuous batching vs batch by batch.

The scheduler (`cascade.serve.Scheduler`, the part of the server that decodes; no HTTP here) receives `--requests`
greedy `verify` requests at once: prompts of `--prompt_len` ids (evenly spaced windows of the validation split) and
`max_tokens` drawn uniformly from [`--min_new`, `--max_new`] (seeded). It decodes them on the GPU engine, either by
continuous batching (`VerifyEngine.run_queue`: a finished row takes the next request) or batch by batch (each batch of
up to `--max_batch` rows waits for its slowest row), with compiled engines; the AR model's requests (rule `ar`) go through
the same scheduler with continuous batching (`AREngine.run_queue`), the fair AR baseline. Each mode runs the burst twice on one
scheduler: the first pass builds and compiles its engines, the second is timed. Per mode: the wall time from the
submission to the last token, tokens/s, and per request the time to its first streamed tokens and to its end (p50,
p90, p99). Beside it, `AREngine` (compiled) decoding the same requests in static batches of `--max_batch` in arrival
order, each batch run to the engine's `--max_new`, its tokens/s counting every requested token (and its decoded slots/s).
`--ar_random` uses random weights of the AR shape (its time does not depend on them, but where its rows stop at EOS does:
use the trained twin for the continuous AR row). Both CASCADE modes must give every request the same text (greedy; reported: bf16
kernels of different batch shapes may flip near-ties).

    python experiments/serve_load.py --cc checkpoints/convert_cc3_b4 --ar checkpoints/twin_ar --ar_random --out results/serve_load_gpu.json
    python experiments/serve_load.py --tiny --device cpu --requests 12 --max_batch 4 --out /tmp/serve_load_cpu.json   # a smoke test
"""
import argparse, hashlib, random, statistics, threading, time
from pathlib import Path
import torch
from cascade.config import CascadeConfig
from cascade.model import CascadeLM
from cascade.serve import Scheduler, Row
from cascade.engine import AREngine
from cascade.bench import val_prompts
from cascade.results import make_result, write_result


def pct(xs:list, q:float):
    s = sorted(xs)
    return s[min(len(s) - 1, int(q * len(s)))] if s else None


def burst(sch:Scheduler, reqs:list, sync, timeout:float, rule:str='verify') -> dict:
    "Submit every request at once; per request its tokens, finish reason, and the times of its first tokens and its end."
    n, lock, done = len(reqs), threading.Lock(), threading.Event()
    toks, fin, first, end, errs = [[] for _ in reqs], [None] * n, [None] * n, [None] * n, []
    left = [n]
    def sink(i):
        def emit(ev):
            t = time.perf_counter()
            if ev[0] == 'error': errs.append(ev[1]); done.set(); return
            _, new, f, _ = ev
            toks[i] += new
            if new and first[i] is None: first[i] = t
            if f:
                fin[i], end[i] = f, t
                with lock:
                    left[0] -= 1
                    if left[0] == 0: done.set()
        return emit
    rows = [Row(list(p), lim, rule, 0.0, 1.0, None) for p, lim in reqs]
    for i, r in enumerate(rows): r.emit = sink(i)
    sync(); t0 = time.perf_counter()
    sch.submit(rows)
    if not done.wait(timeout): raise SystemExit(f'the burst did not finish in {timeout} s ({left[0]} of {n} left)')
    if errs: raise SystemExit(f'decode error: {errs[0]}')
    sync(); wall = max(end) - t0
    ttft = [f - t0 for f in first if f is not None]
    lat = [e - t0 for e in end]
    ntok = sum(len(t) for t in toks)
    return dict(wall_s=wall, tokens=ntok, tokens_per_s=ntok / wall, stopped=sum(f == 'stop' for f in fin),
                ttft_p50_s=pct(ttft, 0.5), ttft_p90_s=pct(ttft, 0.9), ttft_p99_s=pct(ttft, 0.99),
                latency_p50_s=pct(lat, 0.5), latency_p90_s=pct(lat, 0.9), latency_p99_s=pct(lat, 0.99), toks=toks)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--cc', help='a clean-causal model folder (the CASCADE model)')
    ap.add_argument('--ar', help='the AR model folder (block size 1): its shape times the AR baseline')
    ap.add_argument('--ar_random', action='store_true', help='random weights of the AR shape (timing only)')
    ap.add_argument('--tiny', action='store_true', help='tiny random models instead of --cc/--ar (a smoke test of the script)')
    ap.add_argument('--requests', type=int, default=512)
    ap.add_argument('--prompt_len', type=int, default=128)
    ap.add_argument('--min_new', type=int, default=16)
    ap.add_argument('--max_new', type=int, default=256)
    ap.add_argument('--max_batch', type=int, nargs='+', default=[64, 16], help='rows decoded at once (each value a run)')
    ap.add_argument('--ar_chunk', type=int, nargs='+', default=[4], help='continuous AR: steps per replay (each value a run; the first is the baseline)')
    ap.add_argument('--verify_chunk', type=int, default=1, help='continuous verify: steps per replay (and per streamed event)')
    ap.add_argument('--ar_only', action='store_true', help='only the continuous AR runs (a chunk sweep)')
    ap.add_argument('--compile', action=argparse.BooleanOptionalAction, default=None, help='compiled engines (default: on CUDA)')
    ap.add_argument('--timeout', type=float, default=300)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--device', default='cuda')
    ap.add_argument('--out', default='results/serve_load_gpu.json')
    a = ap.parse_args(argv)
    if not a.tiny:                                                          # every input checked before any work
        for d in ((a.ar,) if a.ar_only else (a.cc, a.ar)):
            if not d or not (Path(d) / 'config.json').is_file(): raise SystemExit(f'{d}: no saved model there (--cc and --ar, or --tiny)')
    if a.requests < 1 or min(a.max_batch + a.ar_chunk) < 1 or a.verify_chunk < 1 or not 1 <= a.min_new <= a.max_new or a.prompt_len < 1:
        raise SystemExit('--requests, --max_batch, --prompt_len >= 1 and 1 <= --min_new <= --max_new')
    dev = torch.device(a.device)
    if dev.type == 'cuda' and not torch.cuda.is_available(): raise SystemExit('no CUDA GPU here (--device cpu runs a smoke test)')
    compile_ = dev.type == 'cuda' if a.compile is None else a.compile
    sync = torch.cuda.synchronize if dev.type == 'cuda' else (lambda: None)
    dt = torch.bfloat16 if dev.type == 'cuda' else torch.float32
    if a.tiny:
        torch.manual_seed(a.seed)
        kw = dict(vocab_size=64, d_model=32, n_layers=2, n_heads=4, max_seq_len=a.prompt_len + a.max_new + 8)
        cc = CascadeLM(CascadeConfig(block_size=4, token_shift=True, clean_causal=True, **kw)).to(dev, dt).eval()
        ar = CascadeLM(CascadeConfig(block_size=1, **kw)).to(dev, dt).eval()
        prompts = [[random.Random(a.seed + i).randint(3, 63) for _ in range(a.prompt_len)] for i in range(a.requests)]
    else:
        cc = None if a.ar_only else CascadeLM.from_pretrained(a.cc, device=dev, dtype=dt).eval()
        if cc is not None and not cc.cfg.clean_causal: raise SystemExit(f'{a.cc} is not a clean-causal model (rule verify needs one)')
        if a.ar_random:
            from cascade.model import _read_config
            torch.manual_seed(a.seed); ar = CascadeLM(_read_config(Path(a.ar))).to(dev, dt).eval()
        else: ar = CascadeLM.from_pretrained(a.ar, device=dev, dtype=dt).eval()
        prompts = val_prompts(a.requests, a.prompt_len)
    for m, name in ((cc, 'CASCADE'), (ar, 'AR')):
        if m is not None and a.prompt_len + a.max_new + m.cfg.block_size > m.cfg.max_seq_len: raise SystemExit(f'{name}: prompt + max_new do not fit max_seq_len')
    rng = random.Random(a.seed)
    reqs = [(p, rng.randint(a.min_new, a.max_new)) for p in prompts]
    cfg = dict(vars(a), compile=compile_, dtype=str(dt), ar_weights='random (timing only)' if (a.ar_random or a.tiny) else 'the checkpoint',
               requested_tokens=sum(l for _, l in reqs), prompts='tiny random' if a.tiny else 'evenly spaced windows of data/sample/val.bin')
    for k, d in (('cc', a.cc), ('ar', a.ar)):
        f = Path(d or '.') / 'manifest.json'
        cfg[f'{k}_manifest_sha256'] = hashlib.sha256(f.read_bytes()).hexdigest() if (not a.tiny and f.is_file()) else None
    out, t_start = dict(runs=[]), time.time()
    def save():
        out['wall_s'] = time.time() - t_start
        return write_result(a.out, make_result(Path(a.out).stem, 'serve_load', cfg, out, seed=a.seed, device=dev))
    torch.backends.cuda.matmul.allow_tf32 = False
    def timed(model, B, mode, rule, ar_chunk=4):
        "One scheduler, the burst twice (the first builds and compiles its engines): the second pass's numbers."
        sch = Scheduler(model, max_batch=B, backend='engine', gather_s=0.005, compile=compile_, continuous=mode != 'batch', ar_chunk=ar_chunk,
                        verify_chunk=a.verify_chunk)
        try:
            t = time.time(); burst(sch, reqs, sync, a.timeout, rule); sch.wait_idle(a.timeout); warm_s = time.time() - t
            built, n0, j0 = sch.engines.built, len(sch.batch_sizes), sch.joined
            r = burst(sch, reqs, sync, a.timeout, rule); sch.wait_idle(a.timeout)              # the decode's counters final
            r.update(mode=mode, max_batch=B, ar_chunk=ar_chunk if rule == 'ar' else None, warmup_s=warm_s, engines_built=built, engines_built_timed=sch.engines.built - built,
                     decodes=len(sch.batch_sizes) - n0, joined=sch.joined - j0)
        finally: sch.close()
        if dev.type == 'cuda': torch.cuda.empty_cache()
        print(f"max_batch {B:3d} {mode:14s}: {r['tokens_per_s']:9.0f} tok/s  wall {r['wall_s']:.2f} s  latency p50/p90 {r['latency_p50_s']:.2f}/"
              f"{r['latency_p90_s']:.2f} s  first tokens p50 {r['ttft_p50_s']:.3f} s  ({r['decodes']} decodes, {r['joined']} joined, "
              f"{r['stopped']} stopped early; warm-up {warm_s:.0f} s)", flush=True)
        return r
    for B in a.max_batch:
        if a.ar_only:
            for ch in a.ar_chunk:
                r = timed(ar, B, 'AR continuous', 'ar', ch); r.pop('toks'); out['runs'].append(r); save()
            continue
        runs, texts = [], {}
        for mode, model, rule in (('continuous', cc, 'verify'), ('batch', cc, 'verify'), ('AR continuous', ar, 'ar')):
            r = timed(model, B, mode, rule, a.ar_chunk[0])
            texts[mode] = r.pop('toks'); runs.append(r); out['runs'].append(r); save()
        for ch in a.ar_chunk[1:]:                                             # more chunks of the AR baseline, beside it
            r = timed(ar, B, 'AR continuous', 'ar', ch); r.pop('toks'); out['runs'].append(r); save()
        same = sum(x == y for x, y in zip(texts['continuous'], texts['batch']))
        eng = AREngine(ar, B, a.prompt_len, a.max_new, compile=compile_)
        batches = [[p for p, _ in reqs[i:i + B]] for i in range(0, len(reqs), B)]
        batches[-1] = batches[-1] + batches[0][:B - len(batches[-1])]         # the last batch padded (its tokens/s counts the requests)
        for b in batches[:2]: eng.generate(b)                                 # warm-up (the engine captured its graphs when built)
        sync(); t = time.perf_counter()
        for b in batches: eng.generate(b)
        sync(); wall = time.perf_counter() - t
        ar_row = dict(mode='AR static batches', max_batch=B, wall_s=wall, tokens=cfg['requested_tokens'], tokens_per_s=cfg['requested_tokens'] / wall,
                      slots_per_s=len(batches) * B * a.max_new / wall)
        del eng
        arc = max(x['tokens_per_s'] for x in out['runs'] if x['max_batch'] == B and x['mode'] == 'AR continuous')   # AR's best chunk
        for x in runs[:2]:
            x['speedup_vs_ar'] = x['tokens_per_s'] / ar_row['tokens_per_s']; x['speedup_vs_ar_continuous'] = x['tokens_per_s'] / arc
            x['same_text_as_other_mode'] = same
        for x in out['runs']:
            if x['max_batch'] == B and x['mode'] == 'AR continuous': x['speedup_vs_ar'] = x['tokens_per_s'] / ar_row['tokens_per_s']
        out['runs'].append(ar_row); save()
        print(f"max_batch {B:3d} AR static     : {ar_row['tokens_per_s']:9.0f} tok/s  wall {wall:.2f} s; CASCADE continuous x{runs[0]['speedup_vs_ar_continuous']:.2f} "
              f"AR continuous (its best chunk), x{runs[0]['speedup_vs_ar']:.2f} AR static; batch by batch x{runs[1]['speedup_vs_ar']:.2f} AR static; "
              f"{same}/{len(reqs)} texts equal", flush=True)
    path = save(); print(f'wrote {path}')


if __name__ == '__main__': main()
