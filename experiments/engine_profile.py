"""Engine profile (issue 15): forward time and CUDA kernels per forward of `AREngine` and `BlockEngine` at several model shapes.

Random weights (the cost of a forward does not depend on them), bf16, CUDA graphs, torch.compile. For each shape and batch
size: every engine's median forward time (generate seconds / forwards), its ratio to the AR forward of the same run, the
weight roofline (weight bytes / copy bandwidth measured in this run), and from one profiled generate (torch.profiler,
graphs on) the kernels per forward, the summed kernel time per forward, and the kernels that take the most time.

    python experiments/engine_profile.py --out results/engine_profile.json            # on the GPU
    python experiments/engine_profile.py --cases 64x2x4:2 --new 32 --prompt_len 16 --device cpu --out /tmp/p.json   # CPU smoke
"""
from __future__ import annotations
import argparse, gc, json, time
from collections import defaultdict
from pathlib import Path
import torch
from cascade.config import CascadeConfig
from cascade.model import CascadeLM
from cascade.engine import AREngine, BlockEngine
from cascade.sampler import FixedK, ConfidenceThreshold
from cascade.bench import copy_bandwidth, _time_all


def make_model(d, n_layers, n_heads, block_size, token_shift, vocab, max_len, device, dtype):
    torch.manual_seed(0)
    cfg = CascadeConfig(vocab_size=vocab, d_model=d, n_layers=n_layers, n_heads=n_heads, block_size=block_size,
                        max_seq_len=max_len, token_shift=token_shift)
    return CascadeLM(cfg).to(device=device, dtype=dtype).eval()


def kernel_profile(fn, nfe):
    "Kernels of one call of `fn` under torch.profiler: count, summed device time (us) per forward, and the top kernels."
    from torch.profiler import profile, ProfilerActivity
    from torch.autograd import DeviceType
    with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
        fn(); torch.cuda.synchronize()
    per = defaultdict(lambda: [0, 0.0])
    n, tot = 0, 0.0
    for e in prof.events():
        if e.device_type != DeviceType.CUDA: continue
        us = e.time_range.elapsed_us()
        n += 1; tot += us
        p = per[e.name[:90]]; p[0] += 1; p[1] += us
    top = sorted(per.items(), key=lambda kv: -kv[1][1])[:12]
    return dict(kernels_per_forward=n / nfe, kernel_us_per_forward=tot / nfe,
                top=[dict(name=k, per_forward=c / nfe, us_per_forward=t / nfe) for k, (c, t) in top])


def micro_forwards(shape, B, ts_list, attns, vocab, max_len, dev, dtype, prompt_len=128, n=200):
    "Median time of one graph-captured `StaticLM.forward` of T tokens after a prompt (a block-16 model), per attention path."
    from cascade.engine import StaticLM, _Graph
    d, L, H = map(int, shape.split('x'))
    m = make_model(d, L, H, 16, False, vocab, max_len, dev, dtype)
    out = []
    for attn in attns:
        for T in ts_list:
            net = StaticLM(m, B, prompt_len + 64, compile=True, attn=attn)
            idx = torch.randint(3, vocab, (B, T), device=dev)
            pos = (prompt_len - (T - 16 if T > 16 else 0) + torch.arange(T, device=dev)).expand(B, T).contiguous()
            with torch.no_grad():
                g = _Graph(lambda: net.forward(idx, pos, min(T, 16)), True)
                s_, e_ = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                g(); torch.cuda.synchronize(); s_.record()
                for _ in range(n): g()
                e_.record(); torch.cuda.synchronize()
            ms = s_.elapsed_time(e_) / n
            out.append(dict(shape=shape, batch=B, attn=attn, T=T, forward_ms=ms))
            print(f'micro {shape} b{B} {attn:5s} T={T:3d}: {ms:.4f} ms per captured forward', flush=True)
            del net, g
    return out


METHODS = {   # label: (slug in the summary keys, block size, token shift, step rule; None = the AR engine)
    'AR': ('ar', 1, False, None), 'B16 K=16': ('b16k16', 16, False, FixedK(16)), 'B16 K=4': ('b16k4', 16, False, FixedK(4)),
    'B16 K=2': ('b16k2', 16, False, FixedK(2)), 'B16 threshold 0.9': ('b16thr', 16, False, ConfidenceThreshold(0.9)),
    'B4-ts K=4': ('b4k4', 4, True, FixedK(4)), 'B4-ts K=2': ('b4k2', 4, True, FixedK(2)),
    'B4-ts threshold 0.9': ('b4thr', 4, True, ConfidenceThreshold(0.9))}

def summarize(rows, attn:str) -> dict:
    "Flat numbers for the paper: per d_model and batch, the AR forward (ms, roofline share) and every CASCADE forward / AR's, on path `attn`."
    out = {}
    for r in rows:
        if r.get('attn', 'sdpa') != attn: continue          # the first run had one path: dense-mask SDPA
        key, slug = f"d{r['d_model']}_b{r['batch']}", METHODS[r['method']][0]
        if slug == 'ar': out[f'{key}_ar_ms'], out[f'{key}_ar_roof'] = r['forward_ms'], r['roofline_frac']
        else: out[f'{key}_{slug}_vs_ar'] = r['forward_vs_ar']
        if 'profile' in r: out[f'{key}_{slug}_kernels'] = r['profile']['kernels_per_forward']
    for key in {k.rsplit('_', 3)[0] for k in out if k.endswith('_vs_ar')}:
        out[f'{key}_max_vs_ar'] = max(v for k, v in out.items() if k.startswith(key + '_') and k.endswith('_vs_ar'))
    return out

def merge(paths, out, attn, note, device, torch_version):
    "One result from several runs' files (rows, micro timings and skipped cases concatenated; `summary` on path `attn`)."
    from cascade.results import make_result, write_result
    rows, micro, skipped, bws, srcs = [], [], [], [], []
    for p in paths:
        d = json.loads(Path(p).read_text())
        m = d.get('metrics', d)
        rows += m['rows']; micro += m.get('micro', []); skipped += m.get('skipped', []); bws.append(m['copy_bandwidth_bytes_per_s'])
        srcs.append(dict(file=str(p), device=d.get('device') or d.get('provenance', {}).get('device'), torch=d.get('torch'),
                         config=d.get('config')))
    done = {f"{r['shape']}:{r['batch']}" for r in rows}
    metrics = dict(rows=rows, micro=micro, skipped=sorted(set(skipped) - done), copy_bandwidth_bytes_per_s=bws,
                   summary=summarize(rows, attn), summary_attn=attn)
    res = make_result(Path(out).stem, 'engine_profile', dict(sources=srcs, note=note, summary_attn=attn), metrics, seed=0)
    res['provenance'].update(device=device, torch=torch_version, cuda=None)    # the GPU runs', not this merge's machine
    return write_result(out, res)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--cases', default='512x8x8:1,2048x24x16:64,2048x24x16:1,512x8x8:64,1024x16x16:1,1024x16x16:64',
                    help='SHAPE:BATCH in the order they run (SHAPE = d_model x n_layers x n_heads)')
    ap.add_argument('--attn', default='sdpa,flex', help="engine attention paths to time (cascade.engine.StaticLM's attn)")
    ap.add_argument('--methods', default='AR,B16 K=16,B16 K=4,B16 K=2,B16 threshold 0.9,B4-ts K=4,B4-ts K=2,B4-ts threshold 0.9')
    ap.add_argument('--prompt_len', type=int, default=128)
    ap.add_argument('--new', type=int, default=256)
    ap.add_argument('--profile_new', type=int, default=64, help='new tokens of the profiled generate (a separate engine)')
    ap.add_argument('--profile_attn', default='flex', help='the attention path whose rows are profiled')
    ap.add_argument('--vocab', type=int, default=8192)
    ap.add_argument('--repeats', type=int, default=3)
    ap.add_argument('--compile', action=argparse.BooleanOptionalAction, default=True)
    ap.add_argument('--profile', action=argparse.BooleanOptionalAction, default=True)
    ap.add_argument('--gc', action=argparse.BooleanOptionalAction, default=True, help='--no-gc: the garbage collector off during timed decodes')
    ap.add_argument('--time_budget_s', type=float, default=1e9, help='start no new case after this many seconds (results so far are kept)')
    ap.add_argument('--micro', default='', help='SHAPE:BATCH cases of single captured forwards at T = 1, 4, 8, 16, 32 (both attention paths)')
    ap.add_argument('--device', default='cuda')
    ap.add_argument('--out', required=True)
    ap.add_argument('--merge', nargs='+', help='instead of running: merge these result files into --out')
    ap.add_argument('--merge_note', default='')
    ap.add_argument('--merge_device', default='cuda: NVIDIA H200 x1')
    ap.add_argument('--merge_torch', default='')
    ap.add_argument('--summary_attn', default='flex')
    a = ap.parse_args(argv)
    if a.merge: print('wrote', merge(a.merge, a.out, a.summary_attn, a.merge_note, a.merge_device, a.merge_torch)); return
    dev = torch.device(a.device); cuda = dev.type == 'cuda'
    dtype = torch.bfloat16 if cuda else torch.float32
    max_len = 1024
    bw = copy_bandwidth(dev, 1 << 30 if cuda else 1 << 24)
    print(f'copy bandwidth {bw / 1e9:.0f} GB/s', flush=True)
    names = a.methods.split(',')
    if names[0] != 'AR' or any(n not in METHODS for n in names): raise SystemExit(f'--methods: AR first, then any of {sorted(METHODS)}')
    from cascade.results import make_result, write_result
    res = dict(copy_bandwidth_bytes_per_s=bw, rows=[], skipped=[], summary_attn=a.summary_attn)     # the metrics; written after every row
    rows, t0 = res['rows'], time.time()
    def save():
        res['wall_s'] = time.time() - t0; res['summary'] = summarize(rows, a.summary_attn)
        write_result(a.out, make_result(Path(a.out).stem, 'engine_profile', vars(a), res, seed=0, device=dev))
    res['micro'] = []
    for case in filter(None, a.micro.split(',')):
        shape, B = case.split(':')
        try: res['micro'] += micro_forwards(shape, int(B), (1, 4, 8, 16, 32), a.attn.split(','), a.vocab, max_len, dev, dtype)
        except Exception as e: res['micro'].append(dict(case=case, error=repr(e))); print('micro failed:', repr(e), flush=True)
        save()
    for case in a.cases.split(','):
        if time.time() - t0 > a.time_budget_s: res['skipped'].append(case); continue
        shape, B = case.split(':'); B = int(B)
        d, L, H = map(int, shape.split('x'))
        models = {}
        g = torch.Generator().manual_seed(1)
        prompts = torch.randint(3, a.vocab, (B, a.prompt_len), generator=g).tolist()
        for attn in a.attn.split(','):
            ar_fwd = None
            for label in names:
                _, bs, ts, rule = METHODS[label]
                if (bs, ts) not in models: models[(bs, ts)] = make_model(d, L, H, bs, ts, a.vocab, max_len, dev, dtype)
                m = models[(bs, ts)]
                kw = dict(graphs=cuda, compile=a.compile and cuda, attn=attn)
                mk = lambda n: AREngine(m, B, a.prompt_len, n, **kw) if rule is None else BlockEngine(m, B, a.prompt_len, n, rule, **kw)
                t1 = time.time(); eng = mk(a.new); build_s = time.time() - t1
                if not a.gc: gc.collect(); gc.disable()                   # a collector pass inside a timed decode shows up as its time
                try: out, times = _time_all(lambda: eng.generate(prompts), dev, a.repeats, 1)
                finally: gc.enable()
                replay_ms = None
                if cuda and getattr(eng, 'kind', None) == 'fixed':        # the GPU work of one block alone: the captured graph replayed
                    s_, e_ = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                    torch.cuda.synchronize(); s_.record()
                    for _ in range(20): eng.g_next()
                    e_.record(); torch.cuda.synchronize(); replay_ms = s_.elapsed_time(e_) / 20
                # the prefill alone, as `stream`/`generate` run it (the engine's captured prefill over max_prompt_len's whole blocks,
                # replayed on the last batch's state): what a decode's time holds besides its blocks or steps
                prefill_ms = None
                if eng.g_prefill is not None:
                    with torch.no_grad(): _, pts = _time_all(eng.g_prefill, dev, 5, 1)
                    prefill_ms = sorted(pts)[2] * 1e3
                sec = sorted(times)[len(times) // 2]
                fwd_ms = sec / out.nfe * 1e3
                wb = sum(p.numel() * p.element_size() for p in m.parameters())
                row = dict(shape=shape, d_model=d, n_layers=L, n_heads=H, batch=B, method=label, attn=attn, block_size=bs, token_shift=ts,
                           rule=getattr(rule, 'name', 'ar'), nfe=out.nfe, seconds=sec, forward_ms=fwd_ms,
                           tokens_per_s=B * a.new / sec, roofline_frac=wb / bw * 1e3 / fwd_ms, weight_bytes=wb, build_s=build_s,
                           tokens_per_forward_row=a.new / (out.nfe - out.nfe_prefill), seconds_all=times, gc=a.gc,
                           block_replay_ms=replay_ms, prefill_ms=prefill_ms,
                           n_blocks=None if rule is None else -(-a.new // bs))
                if rule is None: ar_fwd = fwd_ms
                row['forward_vs_ar'] = fwd_ms / ar_fwd
                del eng
                if a.profile and cuda and attn == a.profile_attn:
                    pe = mk(a.profile_new); o2 = pe.generate(prompts)
                    row['profile'] = dict(kernel_profile(lambda: pe.generate(prompts), o2.nfe), new_tokens=a.profile_new)
                    del pe
                rows.append(row); save()
                pr = row.get('profile', {})
                print(f"{shape:12s} b{B:<3d} {attn:5s} {label:20s} fwd {fwd_ms:7.3f} ms  x AR {row['forward_vs_ar']:5.2f}  roof {row['roofline_frac']:6.1%}"
                      f"  prefill {prefill_ms or 0:6.2f} ms  replay/blk {row['block_replay_ms'] or 0:6.3f} ms  kernels/fwd {pr.get('kernels_per_forward', 0):6.1f}  kernel us/fwd {pr.get('kernel_us_per_forward', 0):8.1f}  build {build_s:5.1f}s"
                      f"  t {time.time() - t0:5.0f}s", flush=True)
                if cuda: torch.cuda.empty_cache()
        del models
    save()
    print('wrote', a.out, 'skipped:', res['skipped'])


if __name__ == '__main__': main()
