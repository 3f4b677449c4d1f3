"""What the learned stop head costs on the GPU engine (issue 14's target: < 2% of a forward): `BlockEngine` with
`stop:HEAD` against the same engine with the head's CONTINUE path alone (e.g. `entropy:0.1`), bf16, graphs + compile,
at each batch size; the time per forward of each, and their ratio. The model has the nano shape of the committed
converted checkpoints (block 4, token shift) with random weights: the cost of a forward and of the head's features does
not depend on the weights (the head's decisions do, so the two rules run different numbers of forwards: the ratio is per
forward). First a check that the engine's stop rule is exact on this device: fp32, greedy, its tokens and steps per
block = the uncached reference's (`cascade.sampler.generate`).

    python experiments/stop_cost.py --head results/heads/stop_head_b4_entropy_cpu_lam0.1.safetensors --out results/stop_cost_gpu.json
    python experiments/stop_cost.py --head results/heads/stop_head_b4_entropy_cpu_lam0.1.safetensors --device cpu \\
        --batch_sizes 2 --max_new_tokens 16 --repeats 1 --out /tmp/sc.json                                          # CPU smoke
"""
import argparse, sys, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

NANO = dict(vocab_size=8192, d_model=512, n_layers=8, n_heads=8, d_ff=1408, block_size=4, max_seq_len=1024,
            token_shift=True, pad_id=0, eos_id=1, mask_id=2)   # checkpoints/convert_b4/config.json


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--head', required=True, help='a stop head (safetensors) trained for block size 4')
    ap.add_argument('--batch_sizes', type=int, nargs='+', default=[1, 16, 64])
    ap.add_argument('--prompt_len', type=int, default=128)
    ap.add_argument('--max_new_tokens', type=int, default=256)
    ap.add_argument('--repeats', type=int, default=3)
    ap.add_argument('--device', default='cuda')
    ap.add_argument('--out', required=True)
    a = ap.parse_args(argv)
    if not Path(a.head).is_file(): raise SystemExit(f'--head {a.head}: no such file')
    if min(a.batch_sizes + [a.repeats, a.max_new_tokens, a.prompt_len]) < 1: raise SystemExit('sizes and --repeats must be >= 1')
    import torch
    from tqdm import tqdm
    from cascade.config import CascadeConfig
    from cascade.model import CascadeLM
    from cascade.engine import BlockEngine
    from cascade.sampler import SamplerConfig, generate, parse_rule
    from cascade.results import make_result, write_result
    dev = torch.device(a.device)
    if dev.type == 'cuda' and not torch.cuda.is_available(): raise SystemExit('--device cuda but CUDA is not available')
    stop = parse_rule(f'stop:{a.head}', device=dev)
    path = stop.path
    cfg = CascadeConfig(**NANO)
    stop.check(cfg.block_size)
    torch.manual_seed(0)
    m32 = CascadeLM(cfg).to(dev).eval()
    g = torch.Generator().manual_seed(1)
    prompt = lambda n: torch.randint(3, cfg.vocab_size, (n,), generator=g).tolist()
    t0 = time.time()
    # 1. exactness on this device (fp32, greedy): the engine's stop rule = the uncached reference
    ps = [prompt(int(n)) for n in torch.randint(5, 60, (4,), generator=g)]
    ref = generate(m32, ps, SamplerConfig(max_new_tokens=32, use_cache=False), stop)
    out = BlockEngine(m32, 4, 60, 32, stop).generate(ps)
    same = lambda x, y: bool(torch.equal(x, y)) if isinstance(x, torch.Tensor) else x == y
    exact = dict(tokens_equal=same(out.tokens, ref.tokens), steps_equal=same(out.k_per_block, ref.k_per_block))
    print(f'engine stop rule = uncached reference (fp32, 4 rows, 32 tokens): {exact}', flush=True)
    del m32
    # 2. cost per forward, bf16, graphs + compile
    m = CascadeLM(cfg).to(dev, torch.bfloat16).eval()
    sync = torch.cuda.synchronize if dev.type == 'cuda' else (lambda: None)
    rows = []
    for B in tqdm(a.batch_sizes, desc='batch'):
        ps = [prompt(a.prompt_len) for _ in range(B)]
        row = dict(batch=B)
        for name, rule in (('path', path), ('stop', stop)):
            eng = BlockEngine(m, B, a.prompt_len, a.max_new_tokens, rule, compile=dev.type == 'cuda')
            eng.generate(ps); sync()                                       # warm-up: captures and compiles
            secs = []
            for _ in range(a.repeats):
                sync(); t = time.perf_counter(); o = eng.generate(ps); sync(); secs.append(time.perf_counter() - t)
            sec = sorted(secs)[len(secs) // 2]
            row[name] = dict(rule=rule.name, seconds=sec, seconds_all=secs, nfe=o.nfe, nfe_prefill=o.nfe_prefill,
                             forward_ms=sec / o.nfe * 1e3, tokens_per_forward=B * a.max_new_tokens / max(o.nfe - o.nfe_prefill, 1) / B)
            del eng
        row['stop_forward_vs_path'] = row['stop']['forward_ms'] / row['path']['forward_ms']
        rows.append(row)
        print(f"batch {B:3d}: {path.name} {row['path']['forward_ms']:.3f} ms/fwd ({row['path']['nfe']} fwd), "
              f"stop {row['stop']['forward_ms']:.3f} ms/fwd ({row['stop']['nfe']} fwd): x{row['stop_forward_vs_path']:.3f} per forward", flush=True)
    conf = dict(vars(a), model_shape=NANO, weights='random (bf16; the exactness check fp32)', head_params=sum(p.numel() for p in stop.head.parameters()))
    res = make_result(Path(a.out).stem, 'stop_cost', conf, dict(exact=exact, rows=rows, wall_s=time.time() - t0), seed=0,
                      command='experiments/stop_cost.py ' + ' '.join(sys.argv[1:] if argv is None else argv), device=dev)
    print('wrote', write_result(a.out, res))
    if not all(exact.values()): raise SystemExit('the engine stop rule differs from the reference on this device')


if __name__ == '__main__': main()
