"""How the AR engine's cost grows with its static buffer: `AREngine` (CUDA graphs, no compile) on random weights of a
checkpoint's shape, per dtype, batch, prompt length (the prefill's fixed length S = the buffer's prompt part) and attention
backend: the prefill's time (CUDA events) and the time per decode step over a 48-token generate. The lm-eval model builds
one engine per request group, sized to the group's longest prompt, so every batch pays for that length; this measures what
that costs. ~2 min on an H100/H200:

    python experiments/ar_buffer_len.py --out results/ar_buffer_len_gpu.json"""
import argparse, json, sys, time
from pathlib import Path
import torch
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--config', default='checkpoints/twin_ar/config.json', help="the shape (only the config is read; weights are random)")
    ap.add_argument('--out', default='results/ar_buffer_len_gpu.json')
    ap.add_argument('--batches', type=int, nargs='+', default=[1, 64, 256])
    ap.add_argument('--prompts', type=int, nargs='+', default=[63, 128, 334, 634], help='prompt lengths (code_line: min 63, median 334, max 634)')
    ap.add_argument('--new', type=int, default=48, help='new tokens (code_line: max_gen_toks 48)')
    ap.add_argument('--repeats', type=int, default=3)
    a = ap.parse_args(argv)
    if not torch.cuda.is_available(): raise SystemExit('ar_buffer_len: needs a CUDA device (it times CUDA graphs)')
    if min(a.batches + a.prompts) < 1 or a.new < 2: raise SystemExit('ar_buffer_len: batches and prompts must be >= 1, --new >= 2')
    from cascade.config import CascadeConfig
    from cascade.model import CascadeLM
    from cascade.engine import AREngine
    from cascade.results import make_result, write_result
    cfg = CascadeConfig(**{k: v for k, v in json.load(open(a.config)).items() if k in CascadeConfig.__dataclass_fields__})
    rows = []
    for dt in (torch.float32, torch.bfloat16):
        m = CascadeLM(cfg).cuda().to(dt).eval()
        for B in a.batches:
            for P in a.prompts:
                for attn in ('auto', 'sdpa'):
                    e = AREngine(m, B, P, a.new, chunk=4, compile=False, attn=attn)
                    ps = [[5 + (i * 7 + j) % (cfg.vocab_size - 8) for j in range(P)] for i in range(B)]
                    e.generate(ps); torch.cuda.synchronize()
                    t0 = time.perf_counter()
                    for _ in range(a.repeats): e.generate(ps)
                    torch.cuda.synchronize(); s = (time.perf_counter() - t0) / a.repeats
                    ev0, ev1 = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                    ev0.record(); e.g_prefill(); ev1.record(); torch.cuda.synchronize(); pre = ev0.elapsed_time(ev1)
                    r = dict(dtype=str(dt), B=B, P=P, attn=attn, gen_ms=s * 1e3, prefill_ms=pre, step_ms=(s * 1e3 - pre) / (a.new - 1))
                    rows.append(r); print(r, flush=True)
                    del e
        del m; torch.cuda.empty_cache()
    conf = dict(config=a.config, batches=a.batches, prompts=a.prompts, new=a.new, repeats=a.repeats, chunk=4, compile=False, weights='random')
    out = Path(a.out)
    print('wrote', write_result(out, make_result(out.stem, 'bench', conf, dict(rows=rows),
                                                  command='python experiments/ar_buffer_len.py ' + ' '.join(argv if argv is not None else sys.argv[1:]))))


if __name__ == '__main__':
    main()
