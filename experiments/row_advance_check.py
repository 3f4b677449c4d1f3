"""`BlockEngine(advance='row')` on the GPU: CUDA graphs (and compiled layers) against the uncached reference sampler, in
float32 with TF32 off, on random models (block sizes 2-8, token shift, grouped-query heads), ragged prompts and EOS ending
rows at different blocks, for fixed:K, threshold, entropy and a random stop head; the batch engine (advance='batch') on the
same cases beside it. Counts the cases whose tokens or steps per block differ from the reference (fp32 ties can flip a
token; the batch engine's count says how often that happens without the row mode). ~1-2 min on an H100:

    python experiments/row_advance_check.py --out results/row_advance_check_gpu.json

On the CPU (`--device cpu`, float64, no graphs) it is the notebook's test (08_engine) on other seeds: every case must match."""
import argparse, sys, time
from pathlib import Path
import torch
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


class EosAt(torch.nn.Module):
    "The head, with EOS made the argmax wherever ids 10-17 were (rows end at different blocks)."
    def __init__(self, head, eos): super().__init__(); self.head, self.eos = head, eos
    def forward(self, h):
        out = self.head(h).clone(); out[..., self.eos] = out[..., 10:18].amax(-1) + 0.5
        return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--out', default='results/row_advance_check_gpu.json')
    ap.add_argument('--device', default='cuda')
    ap.add_argument('--trials', type=int, default=8)
    ap.add_argument('--compiled_trials', type=int, default=2, help='the first trials also run compiled engines (GPU)')
    a = ap.parse_args(argv)
    if a.device == 'cuda' and not torch.cuda.is_available(): raise SystemExit('row_advance_check: no CUDA device (use --device cpu)')
    from cascade.config import CascadeConfig
    from cascade.model import CascadeLM
    import cascade.engine as E
    from cascade.engine import BlockEngine
    from cascade.sampler import generate, SamplerConfig, FixedK, ConfidenceThreshold, EntropyBounded
    from cascade.stop_head import StopHead, StopRule, stop_feature_dim
    from cascade.results import make_result, write_result
    dev = torch.device(a.device)
    torch.backends.cuda.matmul.allow_tf32 = False; torch.backends.cudnn.allow_tf32 = False
    dt = torch.float32 if dev.type == 'cuda' else torch.float64
    g = torch.Generator().manual_seed(2026)
    ri = lambda lo, hi: int(torch.randint(lo, hi + 1, (1,), generator=g))
    cases, t0 = [], time.time()
    for trial in range(a.trials):
        bs, shift, eos = (2, 4, 8)[trial % 3], bool(trial % 2), trial % 4 != 3
        H = (4, 8)[trial % 2]; Hkv = (H, H // 2, 1)[trial % 3]
        torch.manual_seed(900 + trial)
        cfg = CascadeConfig(vocab_size=64, d_model=16 * H, n_layers=2, n_heads=H, n_kv_heads=Hkv, block_size=bs, max_seq_len=96, token_shift=shift)
        m = CascadeLM(cfg)
        with torch.no_grad(): m.tok.weight.mul_(20)                        # confident steps: the adaptive rules vary per row
        if eos: m.head = EosAt(m.head, cfg.eos_id)
        m = m.to(dev, dt).eval()
        B, N = ri(2, 8), ri(8, 40); Pm = ri(1, cfg.max_seq_len - N - bs)
        ps = [torch.randint(3, 64, (n,), generator=g).tolist() for n in [Pm] + [ri(1, Pm) for _ in range(B - 1)]]
        head = StopHead(stop_feature_dim(), 16, block_size=bs, banned=(cfg.mask_id, cfg.pad_id)); head.path = 'threshold:0.7'
        with torch.no_grad():
            head.net[0].weight[:, -2].normal_(0, 8, generator=g); head.net[-1].weight.normal_(0, 1, generator=g); head.net[-1].bias.normal_(0, 1.5, generator=g)
        rules = [('fixed', FixedK(ri(1, bs))), ('threshold', ConfidenceThreshold(0.7)), ('entropy', EntropyBounded(0.5)), ('stop', StopRule(head.to(dev)))]
        fa = 'flex' if Hkv == H or dev.type != 'cuda' or E.FLEX_GQA_CUDA else 'sdpa'   # flex with grouped-query heads is refused on CUDA (engine._resolve_attn)
        variants = list(dict.fromkeys([(False, fa), (False, 'sdpa')])) + ([(True, fa)] if trial < a.compiled_trials and dev.type == 'cuda' else [])
        for kind, rule in rules:
            ref = generate(m, ps, SamplerConfig(max_new_tokens=N, stop_at_eos=eos, use_cache=False), rule)
            rk = ref.k_per_block.cpu()
            for comp, attn in variants:
                row = dict(trial=trial, block_size=bs, token_shift=shift, heads=H, kv_heads=Hkv, batch=B, new=N, eos=eos, rule=kind, compile=comp, attn=attn)
                for adv in ('batch', 'row'):
                    eng = BlockEngine(m, B, Pm, N, rule, stop_at_eos=eos, compile=comp, attn=attn, advance=adv)
                    outs = [eng.generate(ps) for _ in range(2)]                 # the second batch through the same graphs
                    row[adv] = dict(tokens_equal=all(o.tokens == ref.tokens for o in outs),
                                    steps_equal=all(o.k_per_block.shape == rk.shape and torch.equal(o.k_per_block.cpu(), rk) for o in outs),
                                    nfe=outs[-1].nfe)
                cases.append(row)
                print(f"trial {trial} bs {bs} shift {shift} {kind:9s} compile {comp!s:5s} {attn}: batch {row['batch']['tokens_equal']}/{row['batch']['steps_equal']} "
                      f"nfe {row['batch']['nfe']}, row {row['row']['tokens_equal']}/{row['row']['steps_equal']} nfe {row['row']['nfe']}", flush=True)
    n = len(cases)
    summ = {adv: dict(tokens_equal=sum(c[adv]['tokens_equal'] for c in cases), steps_equal=sum(c[adv]['steps_equal'] for c in cases)) for adv in ('batch', 'row')}
    summ['row_nfe_le_batch_plus_one'] = sum(c['row']['nfe'] <= c['batch']['nfe'] + 1 for c in cases)
    print(f'{n} cases: {summ}  ({time.time() - t0:.0f}s)')
    cfg = dict(trials=a.trials, compiled_trials=a.compiled_trials, device=a.device, dtype=str(dt), tf32=False)
    out = Path(a.out)
    print('wrote', write_result(out, make_result(out.stem, 'bench', cfg, dict(cases=n, summary=summ, rows=cases), seed=2026,
                                                  command='python experiments/row_advance_check.py ' + ' '.join(argv if argv is not None else sys.argv[1:]))))


if __name__ == '__main__':
    main()
