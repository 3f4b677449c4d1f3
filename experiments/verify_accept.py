"""How many tokens a draft-and-verify decode commits per forward, per model: `cascade.engine.VerifyEngine` (greedy, the
clean stream's text) on held-out prompts, for clean-causal model folders side by side (issue 12: which conversion
recipe gives drafts the verifier accepts). Tokens per row step is the speed factor that does not depend on the
hardware; the forward's cost is the other (experiments/verify_bench.py measures both, with timings).

    python experiments/verify_accept.py --models runs/keep/b4_a runs/keep/b4_b --prompts 32 --out results/verify_accept_x.json

Writes one JSON (cascade.results, with provenance): per model, tokens per row step, the drafts' acceptance rate, forwards.
"""
import argparse, hashlib, json, time
from pathlib import Path
import torch
from tqdm.auto import tqdm
from cascade.bench import val_prompts
from cascade.engine import VerifyEngine
from cascade.hf import load_model
from cascade.results import make_result, write_result


def accept_row(model, prompts:list, batch:int, max_new:int, graphs:bool) -> dict:
    "Decode `prompts` in batches of `batch` with VerifyEngine; counts over every row."
    L = max(len(p) for p in prompts)
    eng = VerifyEngine(model, batch, L, max_new, graphs=graphs)
    row_tokens, row_steps, acc, drafted, nfe = [], [], 0, 0, 0
    t0 = time.time()
    for i in range(0, len(prompts), batch):
        part = prompts[i:i + batch]
        out = eng.generate(part + [part[-1]] * (batch - len(part)))           # a short last batch: filler rows, not counted
        row_tokens += [len(t) for t in out['tokens'][:len(part)]]; row_steps += out['steps'][:len(part)]
        acc += sum(out['accepted'][:len(part)]); drafted += sum(out['drafted'][:len(part)]); nfe += out['nfe']
    toks, steps = sum(row_tokens), sum(row_steps)
    return dict(tokens=toks, row_steps=steps, tokens_per_row_step=toks / max(steps, 1), drafted=drafted, accepted=acc,
                accept_rate=acc / drafted if drafted else None, nfe=nfe, seconds=time.time() - t0,
                per_row=dict(tokens=row_tokens, steps=row_steps))   # per prompt, for paired comparisons across models


def compare(rows:list, n_boot:int=2000, seed:int=0) -> list:
    """Each row against the first, paired over prompts (same prompts, in order): the difference in tokens per row step
    (a ratio of sums) with a 95% bootstrap interval; rows without per-prompt counts, or with other prompts (their sha256)
    or another number of new tokens, are skipped."""
    import numpy as np
    ref = rows[0].get('per_row') if rows else None
    if not ref: return []
    same = lambda r: all(r.get(k) == rows[0].get(k) for k in ('prompts_sha256', 'max_new_tokens'))   # the same prompts, decoded as long
    rt, rs = np.array(ref['tokens'], float), np.array(ref['steps'], float)
    g, out = np.random.default_rng(seed), []
    idx = g.integers(0, len(rt), (n_boot, len(rt)))
    for r in rows[1:]:
        pr = r.get('per_row')
        if not pr or len(pr['tokens']) != len(rt) or not same(r) or rows[0].get('prompts_sha256') is None: continue
        t, st = np.array(pr['tokens'], float), np.array(pr['steps'], float)
        d = t[idx].sum(1) / st[idx].sum(1) - rt[idx].sum(1) / rs[idx].sum(1)
        out.append(dict(model=r['name'], vs=rows[0]['name'], diff=float(t.sum() / st.sum() - rt.sum() / rs.sum()),
                        ci=[float(np.quantile(d, 0.025)), float(np.quantile(d, 0.975))], n_prompts=len(rt), n_boot=n_boot))
    return out


def merge(parts:list, out:str):
    "One result from several runs of this script (e.g. one per device call): their rows, each part's provenance kept."
    docs = []
    for p in parts:
        if not Path(p).is_file(): raise SystemExit(f'verify_accept: merge part {p} does not exist')
        d = json.loads(Path(p).read_text())
        if d.get('name') != 'verify_accept': raise SystemExit(f'verify_accept: {p} is not a verify_accept result (name {d.get("name")!r})')
        docs.append(d)
    rows = [dict(r, part=Path(p).stem) for p, d in zip(parts, docs) for r in d['metrics']['rows']]
    res = dict(docs[0])                                                      # the first part's provenance; every part's below
    res['config'] = dict(docs[0]['config'], models=[r['model'] for r in rows], out=out, merged_from=[str(p) for p in parts])
    res['metrics'] = dict(docs[0]['metrics'], rows=rows, parts=[dict(part=Path(p).stem, provenance=d['provenance']) for p, d in zip(parts, docs)],
                          comparisons=compare(rows))
    write_result(out, res)
    print(f'wrote {out}: {len(rows)} rows from {len(parts)} parts')


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--models', nargs='+', default=[], help='clean-causal CASCADE model folders')
    ap.add_argument('--merge', nargs='+', default=None, help='instead of decoding: join the rows of these result files into --out')
    ap.add_argument('--prompts', type=int, default=32)
    ap.add_argument('--prompt_len', type=int, default=128)
    ap.add_argument('--max_new_tokens', type=int, default=128)
    ap.add_argument('--batch', type=int, default=16)
    ap.add_argument('--val_tokens', default='', help='a token folder whose val split gives the prompts (default: the committed sample)')
    ap.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    ap.add_argument('--out', default='results/verify_accept.json')
    a = ap.parse_args(argv)
    if a.merge: return merge(a.merge, a.out)
    if not a.models: raise SystemExit('verify_accept: give --models (or --merge)')
    for f in a.models:                                                       # every folder checked before any work
        if not (Path(f) / 'config.json').is_file(): raise SystemExit(f'verify_accept: {f} is not a model folder (no config.json)')
    for k in ('prompts', 'prompt_len', 'max_new_tokens', 'batch'):
        if getattr(a, k) < 1: raise SystemExit(f'verify_accept: --{k} must be >= 1')
    prompts = val_prompts(a.prompts, a.prompt_len, a.val_tokens or None)
    psha = hashlib.sha256(json.dumps(prompts).encode()).hexdigest()          # which prompts, in order: what pairs rows across runs
    dev = torch.device(a.device)
    rows = []
    for f in tqdm(a.models, desc='models'):
        lm = load_model(f, device=str(dev), dtype='float32').model.eval()
        if not lm.cfg.clean_causal: raise SystemExit(f'verify_accept: {f} is not a clean-causal model (VerifyEngine needs one)')
        with torch.no_grad(): r = accept_row(lm, prompts, a.batch, a.max_new_tokens, graphs=dev.type == 'cuda')
        rows.append(dict(model=str(f), name=Path(f).name, block_size=lm.cfg.block_size, prompts_sha256=psha, n_prompts=len(prompts),
                         prompt_len=a.prompt_len, max_new_tokens=a.max_new_tokens, val_tokens=a.val_tokens, **r))
        print(f"{Path(f).name:48s} {r['tokens_per_row_step']:.3f} tokens per row step, accept rate {r['accept_rate']}")
        del lm
    for c in compare(rows): print(f"{c['model']} - {c['vs']}: {c['diff']:+.3f} tokens per row step, 95% interval [{c['ci'][0]:+.3f}, {c['ci'][1]:+.3f}]")
    res = make_result('verify_accept', 'bench', dict(vars(a)), dict(rows=rows, dtype='fp32', comparisons=compare(rows),
                      note='greedy VerifyEngine decodes; tokens per row step = committed tokens / steps over every row'))
    write_result(a.out, res)
    print(f'wrote {a.out}')


if __name__ == '__main__':
    main()
