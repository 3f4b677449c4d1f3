"""What a K_b head can learn from each kind of block features (issue 14), on reward tables of real blocks.

The per-block oracle of experiments/adaptive_real.ipynb earns far more than the best fixed K; the heads earn about what
the best fixed K does. This script asks how much of the oracle's margin any head reading the block's first forward
could take, for the two kinds of `block_features` ('hidden': mean hidden state + 3 entropy numbers; 'confidence': 26
numbers from the first forward's confidences). On a table of `--n_blocks` positions of the training split and one of
`--n_eval_blocks` held-out positions (the same draws as the notebook), per price lambda:

1. the oracle's margin over the best fixed K, split into forwards saved on blocks where fewer steps commit the very
   tokens of K = block_size ("same tokens") and the rest: hindsight, a cheaper decode the teacher happens to score higher;
2. the supervised ceiling: the reward of every action regressed on the features (ridge; boosted trees) on the training
   table, the argmax taken on held-out blocks (full information, no policy-gradient noise);
3. REINFORCE (EMA baseline) and the exact expected gradient (`train_on_table`, the notebook's settings), 3 seeds.

Every policy is scored on the held-out table: reward, and reward minus that of the fixed K best on the training table,
paired per block (mean and standard error), forwards, quality, NFE against the fixed-K frontier and the
monotone-difficulty diagnostic. Writes results/adaptive_ceiling_<name>.json.

    python experiments/adaptive_ceiling.py --checkpoint checkpoints/convert_b4 --name b4_cpu              # ~3 min on 2 cores
    python experiments/adaptive_ceiling.py --checkpoint checkpoints/convert_b4 --name b4_cpu_2048 --n_blocks 2048
"""
import argparse, dataclasses, time, warnings
from pathlib import Path
import numpy as np, torch
from cascade.model import CascadeLM
from cascade.data import TokenStream, SAMPLE_DIR
from cascade.adaptive import block_features, FEATURES
from cascade.reward_table import (real_blocks, table_rules, build_reward_table, train_on_table, head_actions, policy_summary,
                                  rule_summaries, compare_frontier, monotone_difficulty, _prefill)
from cascade.results import make_result, write_result

p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
p.add_argument('--checkpoint', default='checkpoints/convert_b4'); p.add_argument('--teacher', default='checkpoints/train_ar')
p.add_argument('--name', default='b4_cpu'); p.add_argument('--n_blocks', type=int, default=512); p.add_argument('--n_eval_blocks', type=int, default=256)
p.add_argument('--context', type=int, default=64); p.add_argument('--lambdas', default='0.01,0.05,0.1,0.5'); p.add_argument('--seeds', default='0,1,2')
p.add_argument('--steps', type=int, default=400); p.add_argument('--threads', type=int, default=2); p.add_argument('--out_dir', default='results')
a = p.parse_args()
torch.set_num_threads(a.threads); warnings.filterwarnings('ignore', category=UserWarning)
t_start = time.time()
model = CascadeLM.from_pretrained(a.checkpoint, device='cpu', dtype=torch.float32).eval()
ar = CascadeLM.from_pretrained(a.teacher, device='cpu', dtype=torch.float32).eval()
c, bs = model.cfg, model.cfg.block_size
lams, seeds = [float(v) for v in a.lambdas.split(',')], [int(v) for v in a.seeds.split(',')]


@torch.no_grad()
def first_forward_features(prefix, kind, batch=64):
    "`block_features` of each block's first forward (all masked) after its real prefix: what the table's decode computes."
    out = []
    for i in range(0, len(prefix), batch):
        x = prefix[i:i + batch]
        cache, _ = _prefill(model, x)
        lg, hd = model.forward_cached(torch.full((len(x), bs), c.mask_id), cache, return_hidden=True)
        out.append(block_features(torch.ones(len(x), bs, dtype=torch.bool), lg, hd, (c.mask_id, c.pad_id), kind=kind))
    return torch.cat(out)


def tables(split, n, seed):
    "One decode of the blocks (the teacher scorer), with each kind of features."
    prefix, real, pos = real_blocks(TokenStream(SAMPLE_DIR, split), n, a.context, bs, seed=seed)
    tab = build_reward_table(model, prefix, real, ar, scorers=('teacher',), positions=pos, batch=64, features='hidden')
    out = {'hidden': tab}
    for kind in FEATURES:
        if kind != 'hidden':
            out[kind] = dataclasses.replace(tab, feats=first_forward_features(prefix, kind), meta={**tab.meta, 'features': kind})
    return out


t0 = time.time()
train, held = tables('train', a.n_blocks, 0), tables('val', a.n_eval_blocks, 1)
build_s = time.time() - t0
ev = held['hidden']
N, rows = len(ev), torch.arange(len(ev))
fixed_pts = [(r['nfe'], r['quality_teacher']) for r in rule_summaries(ev) if r['rule'].startswith('fixed:')]
difficulty = ev.real_nll['teacher']
print(f'{a.checkpoint}: block {bs}; tables {len(train["hidden"])} train / {N} held-out blocks in {build_s:.0f}s')


def score(actions, lam, j_fixed):
    "A policy's greedy actions (N,) on the held-out table, against the fixed K best on the training table."
    R = ev.rewards(lam).double()
    d = R[rows, actions] - R[:, j_fixed]
    s = policy_summary(ev, actions)
    k = ev.nfe[rows, ev.action_cols[actions]]
    mono = monotone_difficulty(difficulty, k)
    vf = compare_frontier(s['nfe'], s['quality_teacher'], fixed_pts)
    return dict(reward=R[rows, actions].mean().item(), vs_fixed=d.mean().item(), vs_fixed_se=(d.std() / N ** 0.5).item(),
                nfe=s['nfe'], quality=s['quality_teacher'], nfe_ratio_fixed=vf['ratio'], nfe_ratio_fixed_interp=vf['ratio_interp'],
                monotone_pass=mono['passes'], spearman_buckets=mono['spearman_buckets'], ratio_top_bottom=mono['ratio'],
                mean_k_per_quintile=mono['mean_k'])


def mean_runs(runs):
    "Seeds' scores: the mean of each number (pass counts summed); the per-block paired differences averaged over seeds first."
    out = {}
    for k in runs[0]:
        v = [r[k] for r in runs]
        if k == 'monotone_pass': out[k] = sum(v)
        elif k == 'mean_k_per_quintile': out[k] = np.mean(v, 0).tolist()
        elif k != 'd': vv = [x for x in v if x is not None]; out[k] = float(np.mean(vv)) if vv else None
    d = torch.stack([r['d'] for r in runs]).mean(0)
    out.update(vs_fixed=d.mean().item(), vs_fixed_se=(d.std() / N ** 0.5).item(), n_seeds=len(runs))
    return out


from sklearn.linear_model import Ridge
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.preprocessing import StandardScaler
regressors = {'ridge': lambda: Ridge(alpha=30.0),
              'trees': lambda: HistGradientBoostingRegressor(max_iter=100, max_depth=3, learning_rate=0.05, min_samples_leaf=20, random_state=0)}
per_lam = []
for lam in lams:
    tr_R, R = train['hidden'].rewards(lam).double(), ev.rewards(lam).double()
    j_fixed = int(tr_R.mean(0).argmax())
    same = (ev.tokens[:, ev.action_cols] == ev.tokens[:, ev.ref:ev.ref + 1]).all(-1)          # (N, A) the very tokens of K = bs
    K = ev.nfe[:, ev.action_cols].double()
    k_same = torch.where(same, K, torch.inf).min(-1).values
    row = dict(lam=lam, best_fixed_k=int(K[0, j_fixed]), reward_best_fixed=R[:, j_fixed].mean().item(),
               reward_oracle=R.max(-1).values.mean().item(), reward_same_tokens_oracle=(-lam * k_same).mean().item(),
               kinds={})
    print(f"lam {lam}: best fixed K={row['best_fixed_k']} {row['reward_best_fixed']:+.4f}  oracle {row['reward_oracle']:+.4f}"
          f"  (same-tokens oracle {row['reward_same_tokens_oracle']:+.4f})")
    for kind in FEATURES:
        tr, he = train[kind], held[kind]
        sc = StandardScaler().fit(tr.feats.double().numpy())
        xtr, xev = sc.transform(tr.feats.double().numpy()), sc.transform(he.feats.double().numpy())
        res = {}
        for name, mk in regressors.items():
            pred = np.stack([mk().fit(xtr, tr_R[:, j].numpy()).predict(xev) for j in range(tr_R.shape[1])], -1)
            res[name] = score(torch.from_numpy(pred.argmax(-1)), lam, j_fixed)
        for method in ('ema', 'exact'):
            runs = []
            for seed in seeds:
                head, _ = train_on_table(tr, lam, exact=method == 'exact', steps=a.steps, batch=128, lr=0.01, entropy_coef=0.2,
                                         hidden=32, seed=seed)
                act = head_actions(head, he)
                s = score(act, lam, j_fixed)
                s['reward_train'] = (tr_R[torch.arange(len(tr)), head_actions(head, tr)]).mean().item()
                s['d'] = R[rows, act] - R[:, j_fixed]
                runs.append(s)
            res[method] = mean_runs(runs)
        row['kinds'][kind] = res
        for m, s in res.items():
            print(f"  {kind:10s} {m:6s} reward {s['reward']:+.4f}  vs best fixed {s['vs_fixed']:+.4f} +- {s['vs_fixed_se']:.4f}"
                  f"  NFE {s['nfe']:.2f}  q {s['quality']:+.4f}  NFE/fixed {s['nfe_ratio_fixed'] if s['nfe_ratio_fixed'] is None else round(s['nfe_ratio_fixed'], 2)}"
                  f"  monotone {s['monotone_pass']}" + (f"  train {s['reward_train']:+.4f}" if 'reward_train' in s else ''))
    per_lam.append(row)

config = dict(checkpoint=a.checkpoint, teacher=a.teacher, block_size=bs, data=str(SAMPLE_DIR), split='train', eval_split='val',
              n_blocks=a.n_blocks, n_eval_blocks=a.n_eval_blocks, context=a.context, lambdas=lams, seeds=seeds, steps=a.steps,
              features=list(FEATURES), regressors={'ridge': 'alpha 30, standardised features', 'trees': 'HistGradientBoosting depth 3, 100 iters, lr 0.05, min leaf 20'},
              head=dict(batch=128, lr=0.01, entropy_coef=0.2, hidden=32), scorer='teacher')
metrics = dict(per_lambda=per_lam, tables=dict(train=a.n_blocks, eval=N, build_s=build_s), wall_s=time.time() - t_start)
cmd = f'python experiments/adaptive_ceiling.py --checkpoint {a.checkpoint} --name {a.name} --n_blocks {a.n_blocks} --n_eval_blocks {a.n_eval_blocks}'
path = write_result(Path(a.out_dir) / f'adaptive_ceiling_{a.name}.json',
                    make_result(f'adaptive_ceiling_{a.name}', 'adaptive_ceiling', config, metrics, seed=seeds[0], command=cmd, device='cpu'))
print(f'wrote {path} in {time.time() - t_start:.0f}s')
