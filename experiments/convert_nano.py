"""AR -> CASCADE conversion of the nano AR model (issue 12): continued pretraining from `checkpoints/train_ar` at
block 4 and 16, then the two likelihoods that matter, each divided by the teacher's perplexity on the same windows:

* L2R: the exact NLL of decoding every block left to right, one token per forward (K = block_size), and of the
  fixed-order parallel decoder at fewer groups (`cascade.convert.l2r_nll`); what a K = block_size decoder sees;
* ELBO: the random-order bound of `cascade.train.evaluate` (the any-order prediction that K < block_size needs),
  with its standard error over windows.

Each run is one `cascade.train.train` call with `init` = the teacher (GPU: bf16, compile, FlexAttention). Writes
results/<out>.json (one row per run) and, with --keep, each converted model to KEEP/<run>/ for the decode benchmark.

    python experiments/convert_nano.py --data data/build/tokens --teacher checkpoints/train_ar \
        --runs b4_ts_lr1e-3_10M,b16_ts_lr1e-3_10M --out results/convert_nano.json
Run names: b<block>_<ts|nots>_lr<lr>_<tokens>M[_m<m_min>-<m_max>][_plain][_ar<p>][_comp][_cur<block>x<frac>[+<block>x<frac>...]]:
_plain trains the masked tokens on plain cross-entropy instead of the 1/m-weighted ELBO (TrainConfig.weighting; the ablation
grid's best at block 4 with the clipped rates, LOG session 31; validation is the ELBO either way), _ar<p> trains the AR loss on a fraction p of the steps (TrainConfig.ar_mix), _comp uses complementary masks, _cc<w> makes the
model clean-causal (02_model: left to right is the causal LM) and adds w x the clean stream's AR loss every step (TrainConfig.ar_weight), _kd<w>
makes it clean-causal and adds w x KL(teacher || clean stream) every step (TrainConfig.distill_weight; the teacher is --teacher), _dkd<w>
adds w x KL(teacher || denoising stream) at the masked positions (TrainConfig.draft_distill_weight), _sfx masks a suffix of each block
(TrainConfig.mask_order='suffix': a visible prefix, the rest masked, the pattern VerifyEngine's drafts see), _hl<w> weights the
hard-label masked cross-entropy (TrainConfig.diffusion_weight, default 1; _hl0 with _kd/_dkd: distillation alone), _cur a
block-size curriculum (e.g. _cur1x0.1+4x0.3 = block 1 for 10% of the steps, block 4 for 30%, then the run's block). _seed<n> sets
TrainConfig.seed (data order and training noise; default 0), for repeats of one recipe. Several device calls (each under 10 minutes)
write part files; `--merge part_a.json part_b.json ... --out results/convert_nano.json` joins them.
"""
import argparse, json, math, re, time
from pathlib import Path
import numpy as np
import torch
from cascade.config import CascadeConfig
from cascade.model import CascadeLM
from cascade.train import TrainConfig, train, evaluate, _val_windows
from cascade.convert import l2r_nll
from cascade.objective import ar_loss
from cascade.results import make_result, write_result
from cascade.data import first_shards, TokenStream

RUN = re.compile(r'^b(\d+)_(ts|nots)_lr([0-9.e-]+)_(\d+)M(?:_m([0-9.]+)-([0-9.]+))?(_plain)?(?:_ar([0-9.]+))?(_comp)?(?:_cc([0-9.]+))?(?:_kd([0-9.]+))?(?:_dkd([0-9.]+))?(_sfx)?(?:_hl([0-9.]+))?(?:_cur(\d+x[0-9.]+(?:\+\d+x[0-9.]+)*))?(?:_seed(\d+))?$')
NAME_FORM = 'b<block>_<ts|nots>_lr<lr>_<tokens>M[_m<m_min>-<m_max>][_plain][_ar<p>][_comp][_cc<w>][_kd<w>][_dkd<w>][_sfx][_hl<w>][_cur<block>x<frac>[+...]][_seed<n>]'

def parse_run(name:str) -> dict:
    "Settings of a run from its name (see the module docstring); a clear error for a name that does not parse."
    m = RUN.match(name)
    if not m: raise ValueError(f'run name {name!r} does not match {NAME_FORM}')
    bs, ts, lr, mt, lo, hi, plain, ar, comp, cc, kd, dkd, sfx, hl, cur, seed = m.groups()
    for tok, v in (('lr', lr), ('_m', lo), ('_m', hi), ('_ar', ar), ('_cc', cc), ('_kd', kd), ('_dkd', dkd), ('_hl', hl)):
        try: v is None or float(v)
        except ValueError: raise ValueError(f'run name {name!r}: {tok} needs a number, got {v!r}') from None
    s = dict(block_size=int(bs), token_shift=ts == 'ts', lr=float(lr), tokens=int(mt) * 1_000_000,
             m_min=float(lo) if lo else 1e-3, m_max=float(hi) if hi else 1.0, weighting='plain' if plain else 'elbo', ar_mix=float(ar) if ar else 0.0,
             complementary=bool(comp), clean_causal=cc is not None or kd is not None, ar_weight=float(cc) if cc else 0.0,
             distill_weight=float(kd) if kd else 0.0, draft_distill_weight=float(dkd) if dkd else 0.0, mask_order='suffix' if sfx else 'random',
             diffusion_weight=float(hl) if hl is not None else 1.0,
             block_schedule=cur.replace('x', ':').replace('+', ',') if cur else '', seed=int(seed) if seed else 0)
    try: TrainConfig(m_min=s['m_min'], m_max=s['m_max'], ar_mix=s['ar_mix'], ar_weight=s['ar_weight'], block_schedule=s['block_schedule'], batch_size=32,
                     mask_order=s['mask_order'], complementary=s['complementary'])
    except ValueError as e: raise ValueError(f'run name {name!r}: {e}') from None
    if not (s['diffusion_weight'] or s['ar_weight'] or s['distill_weight'] or s['draft_distill_weight']):
        raise ValueError(f'run name {name!r}: _hl0 leaves nothing to train without _cc, _kd or _dkd')
    if s['ar_mix'] and not s['token_shift']: raise ValueError(f'run name {name!r}: _ar needs a token-shift run (ts)')
    if s['clean_causal'] and not s['token_shift']: raise ValueError(f'run name {name!r}: _cc / _kd (clean-causal) need a token-shift run (ts)')
    return s

@torch.no_grad()
def teacher_nll(model:CascadeLM, windows:torch.Tensor, batch:int, device) -> tuple[float, float]:
    "The AR teacher's mean NLL (nats/token, first token of each window excluded) and its standard error over windows."
    per = []
    for x in windows.split(batch):
        x = x.to(device)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == 'cuda'):
            ce = ar_loss(model(x, causal=True), x, reduce=False)                 # (B, N-1)
        per.append(ce.double().mean(-1).cpu())
    per = torch.cat(per)
    return per.mean().item(), (per.std() / math.sqrt(len(per))).item()

@torch.no_grad()
def l2r(model:CascadeLM, windows:torch.Tensor, batch:int, device, k=None) -> float:
    "Mean exact NLL (nats/token) of the fixed-order decoder with `k` groups per block (None: left to right)."
    tot, cnt = 0.0, 0
    for x in windows.split(batch):
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == 'cuda'):
            s, n = l2r_nll(model, x.to(device), k)
        tot += s.item(); cnt += n
    return tot / cnt

def elbo_batches(model:CascadeLM, windows:torch.Tensor, batch:int, draws:int, device) -> tuple[float, float]:
    "The ELBO (nats/token) of `evaluate` over the windows, and its standard error from the spread of its batch means."
    amp = torch.bfloat16 if device.type == 'cuda' else None
    per = np.array([evaluate(model, [x], 'cascade', draws, seed=1234 + i, amp_dtype=amp) for i, x in enumerate(windows.split(batch))])
    return float(per.mean()), (float(per.std(ddof=1) / math.sqrt(len(per))) if len(per) > 1 else None)   # None: one batch, no spread

def summarize(rows:list) -> dict:
    """Headline numbers: per block size, the run with the lowest L2R ratio, lowest parallel (half the steps) ratio, lowest ELBO
    ratio; with an AR twin (a block-1 run: the teacher continued with its own AR loss), each best run's likelihoods also against
    the twin's exact NLL, exp(nll - twin nll), when the twin saw as many tokens as that run."""
    out = dict(teacher_ppl=rows[0]['teacher_ppl'], n_runs=len(rows), max_tokens=max(r['tokens'] for r in rows))
    twins = {r['tokens']: r for r in rows if r['block_size'] == 1}
    if twins:
        t = twins[max(twins)]; out.update(twin_run=t['run'], twin_tokens=t['tokens'], twin_l2r_ratio=t['l2r_ratio'])
    for bs in sorted({r['block_size'] for r in rows} - {1}):
        at = [r for r in rows if r['block_size'] == bs]
        half = f'l2r_k{bs // 2}_ratio'
        for key, col in (('l2r', 'l2r_ratio'), ('half', half), ('elbo', 'elbo_ratio')):
            have = [r for r in at if col in r]
            if not have: continue
            best = min(have, key=lambda r: r[col])
            out[f'b{bs}_best_{key}_ratio'], out[f'b{bs}_best_{key}_run'] = best[col], best['run']
            twin, nll = twins.get(best['tokens']), col[:-len('_ratio')] + '_nll'
            if twin is not None and nll in best: out[f'b{bs}_best_{key}_vs_twin'] = math.exp(best[nll] - twin['l2r_nll'])
    return out

def merge(paths:list, out:str):
    "One result from several part files of this script (same teacher, data and windows): rows concatenated, parts' provenance kept."
    parts = [json.loads(Path(p).read_text()) for p in paths]
    keys = {(p['config']['teacher'], p['config']['data'], p['metrics']['n_val_windows'], p['config']['eval_draws']) for p in parts}
    if len(keys) != 1: raise SystemExit(f'cannot merge parts with different teacher/data/windows/draws: {sorted(keys)}')
    rows = [dict(r, part=Path(p).stem) for p, d in zip(paths, parts) for r in d['metrics']['rows']]
    res = dict(parts[0], name=Path(out).stem)
    res['config'] = dict(parts[0]['config'], runs=','.join(r['run'] for r in rows), out=out, merged_from=[str(p) for p in paths])
    res['metrics'] = dict(rows=rows, n_val_windows=parts[0]['metrics']['n_val_windows'], summary=summarize(rows),
                          parts=[dict(part=Path(p).stem, provenance=d['provenance'], wall_s=d['metrics']['wall_s']) for p, d in zip(paths, parts)])
    Path(out).write_text(json.dumps(res, indent=1))
    print(f'wrote {out}: {len(rows)} runs from {len(paths)} parts')

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--teacher', default='checkpoints/train_ar')
    ap.add_argument('--data', default='data/build/tokens', help='cascade.data token folder (train and val splits)')
    ap.add_argument('--runs', default='', help='comma-separated run names')
    ap.add_argument('--merge', nargs='+', default=None, help='instead of running: merge these part files into --out')
    ap.add_argument('--batch_size', type=int, default=32, help='sequences per optimizer step (the nanos used 32)')
    ap.add_argument('--warmup_steps', type=int, default=100)
    ap.add_argument('--val_windows', type=int, default=256, help='validation windows of max_seq_len tokens')
    ap.add_argument('--eval_draws', type=int, default=4, help='noise draws per window in the ELBO')
    ap.add_argument('--parallel', default='2', help='tokens per forward of the fixed-order parallel L2R (divisors of the block size > 1)')
    ap.add_argument('--compile', action=argparse.BooleanOptionalAction, default=True)
    ap.add_argument('--keep', default='', help='folder to save each converted model in (<keep>/<run>)')
    ap.add_argument('--out', default='results/convert_nano.json')
    ap.add_argument('--max_steps', type=int, default=0, help='> 0: cap the steps of every run (CPU dry runs)')
    ap.add_argument('--train_shards', type=int, default=0,
                    help='> 0: train on the first N train shards only (cascade.data.first_shards; 6 = bundle 00, the data of the teacher, '
                         'its twin and the session-8 conversions); 0: every shard that --data holds')
    a = ap.parse_args(argv)
    if a.merge: return merge(a.merge, a.out)
    if not a.runs: raise SystemExit('--runs is required (or --merge)')
    runs = {n: parse_run(n) for n in a.runs.split(',')}                       # every name checked before any work
    if not (Path(a.teacher) / 'config.json').is_file(): raise SystemExit(f'--teacher {a.teacher}: no saved model there')
    if a.train_shards < 0: raise SystemExit(f'--train_shards must be >= 0, got {a.train_shards}')
    train_data = str(first_shards(a.data, f'runs/convert/data_train{a.train_shards}', a.train_shards)) if a.train_shards else a.data
    split = TokenStream(train_data, 'train', verify=False)
    print(f'train split: {len(split.shards)} shards, {len(split):,} tokens ({train_data})', flush=True)
    dev = torch.device('cuda' if torch.cuda.is_available() else 'cpu')
    teacher = CascadeLM.from_pretrained(a.teacher, device=dev).eval()
    N = teacher.cfg.max_seq_len
    windows = torch.from_numpy(np.stack(_val_windows(a.data, a.val_windows, N)).astype(np.int64))   # (W, N)
    eb = 8 if dev.type == 'cuda' else 2
    t_nll, t_se = teacher_nll(teacher, windows, eb, dev)
    print(f'teacher {a.teacher}: val NLL {t_nll:.4f} (PPL {math.exp(t_nll):.3f}) on {len(windows)} windows of {N}', flush=True)
    del teacher
    rows, t0 = [], time.time()
    for name, s in runs.items():
        steps = max(1, round(s['tokens'] / (a.batch_size * N)))
        if a.max_steps: steps = min(steps, a.max_steps)
        tc = TrainConfig(run=f'convert_{name}', out_dir=f'runs/convert/{name}', data=train_data, batch_size=a.batch_size,
                         steps=steps, lr=s['lr'], warmup_steps=min(a.warmup_steps, steps // 5), m_min=s['m_min'], m_max=s['m_max'], weighting=s['weighting'],
                         ar_mix=s['ar_mix'], ar_weight=s['ar_weight'], distill_weight=s['distill_weight'], complementary=s['complementary'],
                         draft_distill_weight=s['draft_distill_weight'], mask_order=s['mask_order'], diffusion_weight=s['diffusion_weight'], block_schedule=s['block_schedule'], seed=s['seed'], eval_every=0, eval_batches=1, eval_batch_size=min(8, a.batch_size), compile=a.compile and dev.type == 'cuda',
                         results_dir='', progress=False, resume='never', save_final=False, init=a.teacher, log_every=50)
        cfg = CascadeConfig(**{**CascadeConfig.load(Path(a.teacher) / 'config.json').to_dict(), 'block_size': s['block_size'],
                               'token_shift': s['token_shift'], 'clean_causal': s['clean_causal'],
                               'attn_backend': 'flex' if dev.type == 'cuda' else 'sdpa'})
        t1 = time.time()
        r = train(tc, cfg)
        model = r['model'].eval()
        bs = cfg.block_size
        row = dict(run=name, **s, steps=steps, train_tokens=r['metrics']['tokens'], train_tokens_per_s=r['metrics']['tokens_per_s'],
                   train_wall_s=time.time() - t1, train_split_tokens=len(split), train_split_shards=len(split.shards), teacher_nll=t_nll, teacher_nll_se=t_se, teacher_ppl=math.exp(t_nll))
        row['l2r_nll'] = l2r(model, windows, eb, dev)
        row['l2r_ratio'] = math.exp(row['l2r_nll'] - t_nll)
        for t in (int(v) for v in a.parallel.split(',') if v):
            if t < 2 or bs % t: continue
            g = bs // t                                                           # g groups per block: t tokens per forward
            row[f'l2r_k{g}_nll'] = l2r(model, windows, eb, dev, g); row[f'l2r_k{g}_ratio'] = math.exp(row[f'l2r_k{g}_nll'] - t_nll)
        row['elbo_nll'], row['elbo_se'] = elbo_batches(model, windows, eb, a.eval_draws, dev)
        row['elbo_ratio'] = math.exp(row['elbo_nll'] - t_nll)
        print(json.dumps({k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items()}), flush=True)
        rows.append(row)
        if a.keep: model.save_pretrained(Path(a.keep) / name, dtype=torch.bfloat16)
        del model, r
        if dev.type == 'cuda': torch.cuda.empty_cache()
    cfg_out = dict(vars(a), val='the first windows of the val split of ' + a.data,
                   l2r='exact NLL, left to right one token per forward (cascade.convert.l2r_nll), first token of each window excluded',
                   elbo=f'random-order bound of cascade.train.evaluate, {a.eval_draws} noise draws per window; s.e. from batch means')
    path = write_result(a.out, make_result(Path(a.out).stem, 'convert', cfg_out, dict(rows=rows, wall_s=time.time() - t0, summary=summarize(rows),
                                                                                      n_val_windows=len(windows)), seed=0, device=dev))
    print(f'wrote {path}')
    return rows

if __name__ == '__main__': main()
