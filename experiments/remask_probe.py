"""Does remasking inside the current block (`SamplerConfig.remask`, issue 18) help a trained model decode in fewer steps?

The ablation grid's remask row runs on the model its call trains (on the CPU a near-uniform toy, where no quality measure
can move). This probe asks the question on a committed conversion instead: the CASCADE model (default
`checkpoints/convert_b4`, block 4, token shift) decodes held-out prompts greedily with the reference sampler (exact
cache, float32) under step rules that spend fewer than one forward per token, each without and with remasking at
several thresholds rho. Per configuration:
- `nfe_per_token`: forwards per generated token of a row (the batch's forwards, which every row of it waits for; prefill
  included, as everywhere in the project); `row_steps_per_token`: each row's own denoising steps per token (as if alone);
- `teacher_nll`: the AR teacher's (default `checkpoints/train_ar`) mean NLL per token of the continuation given its
  prompt, exact (`cascade.evaluation.score_pairs`) - the yardstick the stop head's reward uses, here on free-running
  decodes; lower is better, and greedy repetition lowers it too, so it is read against K = block size;
- `agree_k_bs`: the fraction of generated positions equal to the K = block size decode's (one token per forward);
- `remasked_per_token`.

    python experiments/remask_probe.py --out results/remask_probe_b4_cpu.json                        # ~10 min on 2 cores
"""
import argparse, sys, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--model', default='checkpoints/convert_b4')
    ap.add_argument('--teacher', default='checkpoints/train_ar')
    ap.add_argument('--val', default='data/sample/val.bin', help='held-out tokens (uint16 file or token folder)')
    ap.add_argument('--prompts', type=int, default=32)
    ap.add_argument('--prompt_len', type=int, default=64)
    ap.add_argument('--new', type=int, default=64, help='new tokens per prompt')
    ap.add_argument('--rules', default='fixed:2,fixed:1,threshold:0.9,threshold:0.7,entropy:0.3')
    ap.add_argument('--rhos', default='0.1,0.3,0.5')
    ap.add_argument('--batch', type=int, default=32)
    ap.add_argument('--threads', type=int, default=0)
    ap.add_argument('--out', required=True)
    a = ap.parse_args(argv)
    rhos = [float(r) for r in a.rhos.split(',') if r.strip()]
    if any(not 0 < r < 1 for r in rhos): raise SystemExit(f'--rhos must lie in (0, 1), got {rhos}')
    if min(a.prompts, a.prompt_len, a.new, a.batch) < 1: raise SystemExit('--prompts, --prompt_len, --new and --batch must be >= 1')
    for p in (a.model, a.teacher):
        if not (Path(p) / 'config.json').is_file(): raise SystemExit(f'{p}: not a model folder (no config.json)')
    import torch
    from tqdm import tqdm
    from cascade.model import CascadeLM
    from cascade.sampler import SamplerConfig, generate, parse_rule
    from cascade.data import val_windows
    from cascade.evaluation import score_pairs
    from cascade.results import make_result, write_result
    if a.threads: torch.set_num_threads(a.threads)
    model = CascadeLM.from_pretrained(a.model).float().eval()
    teacher = CascadeLM.from_pretrained(a.teacher).float().eval()
    bs = model.cfg.block_size
    rules = [f'fixed:{bs}'] + [r.strip() for r in a.rules.split(',') if r.strip()]
    for r in rules: parse_rule(r).check(bs)                                      # a bad rule: refused before any decode
    wins = val_windows(a.val, a.prompts, a.prompt_len)
    if len(wins) < a.prompts: raise SystemExit(f'{a.val}: only {len(wins)} windows of {a.prompt_len} tokens')
    prompts = [w.astype('int64').tolist() for w in wins]
    t0, rows, ref = time.time(), [], None
    configs = [(rules[0], 0.0)] + [(r, rho) for r in rules[1:] for rho in [0.0] + rhos]
    for rule, rho in tqdm(configs, desc='configs'):
        toks, nfe, steps, rem, t = [], 0, 0, 0, time.perf_counter()
        for i in range(0, len(prompts), a.batch):
            g = generate(model, prompts[i:i + a.batch], SamplerConfig(max_new_tokens=a.new, stop_at_eos=False, remask=rho), parse_rule(rule))
            toks += g.tokens; nfe += g.nfe * len(g.tokens); steps += int(g.k_per_block.sum()); rem += int(g.remasked.sum())
        sec = time.perf_counter() - t
        n_tok = sum(len(x) for x in toks)
        if ref is None: ref = toks
        lp = score_pairs(teacher, list(zip(prompts, toks)), batch_size=a.batch, progress='')
        agree = sum(sum(int(u == v) for u, v in zip(x, y)) for x, y in zip(toks, ref)) / n_tok
        rows.append(dict(rule=rule, remask=rho, nfe_per_token=nfe / n_tok, row_steps_per_token=steps / n_tok, teacher_nll=-sum(l for l, _ in lp) / n_tok,
                         agree_k_bs=agree, remasked_per_token=rem / n_tok, seconds=sec, tokens=n_tok))
        r = rows[-1]
        print(f"{rule:>14} remask {rho:<4g} NFE/token {r['nfe_per_token']:.3f} steps/token {r['row_steps_per_token']:.3f}  teacher NLL {r['teacher_nll']:.4f}  "
              f"agree(K={bs}) {agree:.3f}  remasked/token {r['remasked_per_token']:.3f}", flush=True)
    conf = dict(vars(a), block_size=bs, decoding='greedy, reference sampler (exact cache), float32', configs=[f'{r}@{p:g}' for r, p in configs])
    res = make_result(Path(a.out).stem, 'remask_probe', conf, dict(rows=rows, wall_s=time.time() - t0), seed=0,
                      command='experiments/remask_probe.py ' + ' '.join(sys.argv[1:] if argv is None else argv), device=torch.device('cpu'))
    print('wrote', write_result(a.out, res))


if __name__ == '__main__': main()
