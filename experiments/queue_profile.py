"""Where the time of continuous batching goes (`VerifyEngine.generate_many`, issue 15): per run, the wall time split
into the step replays, the refills (each timed between two device synchronisations) and the rest (the host's reads
of finished rows), the device time of each refill graph replayed alone, and the top kernels of one run under
torch.profiler. A diagnostic: the synchronisations it adds make its own run slower than an untimed one.

    python experiments/queue_profile.py --cc checkpoints/convert_cc3_b4 --queue 512 --batch 64 16 --max_refill 16 1 --out results/queue_profile_gpu.json
"""
import argparse, time
from pathlib import Path
import torch
from cascade.model import CascadeLM
from cascade.engine import VerifyEngine
from cascade.bench import val_prompts
from cascade.results import make_result, write_result


def timed_run(ve, qs, ra) -> dict:
    "One generate_many with the steps' and refills' wall time measured between synchronisations."
    T = dict(steps_s=0.0, refill_s=0.0, refills=0, replays=0)
    steps, refill = ve.g_steps, ve._refill
    def st():
        torch.cuda.synchronize(); t = time.perf_counter(); steps(); torch.cuda.synchronize()
        T['steps_s'] += time.perf_counter() - t; T['replays'] += 1
    def rf(pairs):
        torch.cuda.synchronize(); t = time.perf_counter(); n = refill(pairs); torch.cuda.synchronize()
        T['refill_s'] += time.perf_counter() - t; T['refills'] += 1; return n
    ve.g_steps, ve._refill = st, rf
    try:
        torch.cuda.synchronize(); t = time.perf_counter(); o = ve.generate_many(qs, refill_at=ra); torch.cuda.synchronize()
        T['wall_s'] = time.perf_counter() - t
    finally: ve.g_steps, ve._refill = steps, refill
    T['rest_s'] = T['wall_s'] - T['steps_s'] - T['refill_s']
    T['ms_per_refill'] = 1e3 * T['refill_s'] / max(T['refills'], 1); T['ms_per_replay'] = 1e3 * T['steps_s'] / max(T['replays'], 1)
    T['rows_refilled'] = o['rows_refilled']
    return T


def graph_ms(g, n:int=50) -> float:
    "Device time of one replay of a refill graph (replays of the last refill: idempotent)."
    g(); torch.cuda.synchronize()
    a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    a.record()
    for _ in range(n): g()
    b.record(); torch.cuda.synchronize()
    return a.elapsed_time(b) / n


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--cc', required=True); ap.add_argument('--queue', type=int, default=512)
    ap.add_argument('--batch', type=int, nargs='+', default=[64]); ap.add_argument('--max_refill', type=int, nargs='+', default=[16, 1])
    ap.add_argument('--refill_at', type=int, default=0, help="generate_many's refill_at (0: its default)")
    ap.add_argument('--prompt_len', type=int, default=128); ap.add_argument('--max_new_tokens', type=int, default=256)
    ap.add_argument('--out', default='results/queue_profile_gpu.json')
    a = ap.parse_args(argv)
    if not (Path(a.cc) / 'config.json').is_file(): raise SystemExit(f'{a.cc}: no saved model there')
    if not torch.cuda.is_available(): raise SystemExit('needs a CUDA GPU')
    cc = CascadeLM.from_pretrained(a.cc, device='cuda', dtype=torch.bfloat16).eval()
    qs = val_prompts(a.queue, a.prompt_len)
    runs, t0 = [], time.time()
    for B in a.batch:
        for mr in a.max_refill:
            ve = VerifyEngine(cc, B, a.prompt_len, a.max_new_tokens, compile=True, max_refill=mr)
            ra = a.refill_at or min(ve.max_refill, max(1, B // 8))
            ve.generate_many(qs, refill_at=ra)                               # warm-up: compiles and captures every refill size used
            t = time.perf_counter(); ve.generate_many(qs, refill_at=ra); torch.cuda.synchronize(); plain = time.perf_counter() - t
            r = dict(batch=B, max_refill=ve.max_refill, refill_at=ra, untimed_wall_s=plain, **timed_run(ve, qs, ra))
            r['refill_graph_ms'] = {R: graph_ms(g) for R, (_, g) in sorted(ve._refills.items())}
            from torch.profiler import profile, ProfilerActivity
            with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof: ve.generate_many(qs[:max(B, a.queue // 4)], refill_at=ra)
            ka = prof.key_averages()
            r['top_device'] = [dict(name=e.key[:90], count=e.count, ms=e.device_time_total / 1e3) for e in
                               sorted(ka, key=lambda e: -e.device_time_total)[:12]]
            r['top_host'] = [dict(name=e.key[:90], count=e.count, ms=e.cpu_time_total / 1e3) for e in
                             sorted(ka, key=lambda e: -e.self_cpu_time_total)[:12]]
            runs.append(r)
            print(f"batch {B} max_refill {ve.max_refill} refill_at {ra}: wall {plain:.2f} s untimed; timed {r['wall_s']:.2f} s = steps {r['steps_s']:.2f} "
                  f"({r['replays']} x {r['ms_per_replay']:.3f} ms) + refills {r['refill_s']:.2f} ({r['refills']} x {r['ms_per_refill']:.3f} ms) "
                  f"+ rest {r['rest_s']:.2f}; refill graphs (ms) {r['refill_graph_ms']}", flush=True)
            for e in r['top_host'][:8]: print(f"   host {e['ms']:9.1f} ms  x{e['count']:6d}  {e['name']}")
            for e in r['top_device'][:6]: print(f"   dev  {e['ms']:9.1f} ms  x{e['count']:6d}  {e['name']}")
            del ve; torch.cuda.empty_cache()
    cfg = dict(vars(a), dtype='bf16', prompts='cascade.bench.val_prompts')
    write_result(a.out, make_result(Path(a.out).stem, 'queue_profile', cfg, dict(runs=runs, wall_s=time.time() - t0), seed=0, device=torch.device('cuda')))
    print(f'wrote {a.out}')

if __name__ == '__main__': main()
