"""The per-step stop head against the per-block K_b head and every step rule on real blocks (issue 14).

The K_b head picks a block's steps at its first forward and never beats the confidence-threshold rule's frontier
(LOG.md, sessions 7 and 12). The stop head (`cascade.stop_head`, nbs/06b_stop_head.ipynb) decides after every step:
STOP (commit every masked position now) or CONTINUE (commit the most confident one, as FixedK(block_size), and run
another forward). On the draws of experiments/adaptive_real.ipynb (`--n_blocks` positions of the training split, seed 0;
`--n_eval_blocks` of the held-out split, seed 1; `--context` real tokens before each block) this builds, for the same
blocks, the reward table of every rule (`build_reward_table`, 'confidence' features, teacher scorer) and the stop table
of every stop point (`build_stop_table`), checks that stop-at-1 and never-stop commit FixedK(1)'s and FixedK(L)'s very
tokens (with `--path RULE`, CONTINUE commits that step rule's share instead, e.g. entropy:0.1, and never-stop is that
rule's own block; its blocks may end after fewer than block_size forwards), then per price lambda and seed trains the stop head by its exact expected gradient and by REINFORCE (EMA
baseline) and the per-block head by REINFORCE (EMA baseline, the notebook's settings), and scores every greedy head on
the held-out blocks: forwards and quality (minus the teacher's NLL gap to K = block_size, nats per token), its place
against the threshold, entropy and fixed-K families (`compare_frontier`) and its margin over the threshold frontier at
equal forwards, paired per block (`frontier_margin`). Writes results/stop_head_<name>.json.

    python experiments/stop_head.py --checkpoint checkpoints/convert_b4 --name b4_cpu      # ~4 min on one core
    python experiments/stop_head.py --checkpoint checkpoints/convert_b4 --name b4_entropy_cpu --path entropy:0.1
"""
import argparse, time, warnings
from pathlib import Path
import numpy as np, torch
from tqdm.auto import tqdm
from cascade.model import CascadeLM
from cascade.data import TokenStream, SAMPLE_DIR, sha256_file
from cascade.reward_table import (TABLE_RULES, THRESHOLDS, table_rules, real_blocks, build_reward_table, train_on_table, head_actions,
                                  policy_summary, rule_summaries,
                                  compare_frontier)
from cascade.sampler import parse_rule
from cascade.stop_head import (build_stop_table, train_stop_head, stop_actions, stop_summary, expected_reward, frontier_margin,
                               stop_head_flops, save_stop_head)
from cascade.results import make_result, write_result

p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
p.add_argument('--checkpoint', default='checkpoints/convert_b4'); p.add_argument('--teacher', default='checkpoints/train_ar')
p.add_argument('--name', default='b4_cpu'); p.add_argument('--n_blocks', type=int, default=512); p.add_argument('--n_eval_blocks', type=int, default=256)
p.add_argument('--context', type=int, default=64); p.add_argument('--lambdas', default='0.01,0.05,0.1,0.5'); p.add_argument('--seeds', default='0,1,2')
p.add_argument('--steps', type=int, default=400); p.add_argument('--batch_rl', type=int, default=128); p.add_argument('--lr', type=float, default=1e-2)
p.add_argument('--entropy_coef', type=float, default=0.2); p.add_argument('--hidden', type=int, default=32)
p.add_argument('--threads', type=int, default=1); p.add_argument('--out_dir', default='results')
p.add_argument('--path', default=None, help="the CONTINUE path's step rule (a rule string); default fixed:<block_size>")
p.add_argument('--save_heads', default=None, help='a folder (e.g. results/heads): write the exact-gradient stop head of the first seed at every lambda there, '
               'stop_head_<name>_lam<lambda>.safetensors (`save_stop_head`; decode with rule stop:PATH)')
a = p.parse_args()
torch.set_num_threads(a.threads); warnings.filterwarnings('ignore', category=UserWarning)
t_start = time.time()
model = CascadeLM.from_pretrained(a.checkpoint, device='cpu', dtype=torch.float32).eval()
ar = CascadeLM.from_pretrained(a.teacher, device='cpu', dtype=torch.float32).eval()
c, bs = model.cfg, model.cfg.block_size
lams, seeds = [float(v) for v in a.lambdas.split(',')], [int(v) for v in a.seeds.split(',')]
# the table's rules plus thresholds below 0.5: the stop head can spend fewer forwards than threshold:0.5 does, and the
# threshold family needs points there (its limits are FixedK(1) as tau -> 0 and FixedK(block_size) as tau -> 1)
LOW_THRESHOLDS = (0.1, 0.2, 0.3, 0.4)
RULES = table_rules(bs, TABLE_RULES + tuple(f'threshold:{t}' for t in LOW_THRESHOLDS))
PATH = a.path or f'fixed:{bs}'
parse_rule(PATH)                                                                     # a clear error for a bad rule string
if PATH not in RULES: RULES = RULES + (PATH,)                                        # the path's own block is a rule of the table


def tables(split, n, seed):
    "The reward table of every rule and the stop table of every stop point, on the same n blocks of a split."
    prefix, real, pos = real_blocks(TokenStream(SAMPLE_DIR, split), n, a.context, bs, seed=seed)
    t0 = time.time()
    rt = build_reward_table(model, prefix, real, ar, scorers=('teacher',), rules=RULES, positions=pos, batch=64, features='confidence', progress=True,
                            meta=dict(split=split, context=a.context))
    t1 = time.time()
    st = build_stop_table(model, prefix, real, ar, positions=pos, batch=64, progress=True, meta=dict(split=split, context=a.context), path=PATH)
    t2 = time.time()
    k1, kp, rows = rt.rules.index('fixed:1'), rt.rules.index(PATH), torch.arange(len(st))
    check = dict(stop1_is_fixed1=bool(torch.equal(st.tokens[:, 0], rt.tokens[:, k1])),
                 never_is_path=bool(torch.equal(st.tokens[rows, st.steps - 1], rt.tokens[:, kp])),
                 steps_are_path=bool(torch.equal(st.steps, rt.nfe[:, kp].to(st.steps.dtype))),
                 nll_path_max_abs_diff=(st.nll[:, -1] - rt.nll['teacher'][:, kp]).abs().max().item(),
                 path_nfe=st.steps.double().mean().item(), reward_table_s=t1 - t0, stop_table_s=t2 - t1)
    if not (check['stop1_is_fixed1'] and check['never_is_path'] and check['steps_are_path']):
        raise RuntimeError(f'{split}: the stop table disagrees with the reward table: {check}')
    st.ref_nll = rt.nll['teacher'][:, rt.ref].clone()                                # quality against K = block_size, as every rule's
    return rt, st, check


train_rt, train_st, train_check = tables('train', a.n_blocks, 0)
eval_rt, eval_st, eval_check = tables('val', a.n_eval_blocks, 1)
N, rows = len(eval_st), torch.arange(len(eval_st))
print(f'{a.checkpoint}: block {bs}; path {PATH}; {len(train_st)} train / {N} held-out blocks; checks {train_check} {eval_check}')

rule_rows = rule_summaries(eval_rt)
Q = eval_rt.quality('teacher')                                                       # (N, R)
fam = lambda prefix: {r: (eval_rt.nfe[:, j].double().mean().item(), Q[:, j]) for j, r in enumerate(eval_rt.rules) if r.startswith(prefix)}
families = {f: fam(f'{f}:') for f in ('fixed', 'threshold', 'entropy')}
families['threshold_sweep'] = {r: v for r, v in families['threshold'].items() if float(r.split(':')[1]) in THRESHOLDS}   # 0.5..0.99: session 12's family
families['threshold'].update({'fixed:1': families['fixed']['fixed:1'], f'fixed:{bs}': families['fixed'][f'fixed:{bs}']})   # its limits tau -> 0, 1
points = {f: [(n, q.mean().item()) for n, q in v.values()] for f, v in families.items()}
for r in rule_rows: print(f"{r['rule']:16s} NFE {r['nfe']:.3f}  q {r['quality_teacher']:+.4f}")


def score(nfe_b, q_b, summary, lam):
    "A greedy policy's held-out point against every family, and its margin over the threshold frontier paired per block."
    nfe, q = nfe_b.double().mean().item(), q_b.double().mean().item()
    out = dict(eval=summary, nfe=nfe, quality=q, reward=q - lam * nfe, reward_blocks=(q_b.double() - lam * nfe_b.double()))
    for f in families:
        out[f'vs_{f}'] = compare_frontier(nfe, q, points[f])
        out[f'margin_{f}'] = frontier_margin(nfe, q_b, families[f])
    return out


runs, head_files = [], {}
grid = [(lam, seed, kind) for lam in lams for seed in seeds for kind in ('stop_exact', 'stop_reinforce', 'block_reinforce')]
for lam, seed, kind in tqdm(grid, desc='heads'):
    t0 = time.time()
    if kind.startswith('stop'):
        head, log = train_stop_head(train_st, lam, steps=a.steps, batch=a.batch_rl, lr=a.lr, entropy_coef=a.entropy_coef,
                                    hidden=a.hidden, seed=seed, exact=kind == 'stop_exact')
        if a.save_heads and kind == 'stop_exact' and seed == seeds[0]:
            hp = Path(a.save_heads) / f'stop_head_{a.name}_lam{lam:g}.safetensors'; hp.parent.mkdir(parents=True, exist_ok=True)
            save_stop_head(head, str(hp), lam=lam, kind=kind, seed=seed, checkpoint=a.checkpoint, n_blocks=a.n_blocks, context=a.context,
                           steps=a.steps, lr=a.lr, entropy_coef=a.entropy_coef)
            head_files[str(lam)] = dict(path=str(hp), bytes=hp.stat().st_size)
        s = stop_actions(head, eval_st)
        row = score(s + 1, eval_st.quality()[rows, s], stop_summary(eval_st, s), lam)
        with torch.no_grad(): row['expected_reward_stochastic'] = expected_reward(head, eval_st, lam).mean().item()
        st_tr = stop_actions(head, train_st)
        row['reward_train'] = stop_summary(train_st, st_tr)['quality_teacher'] - lam * (st_tr + 1).double().mean().item()
    else:
        head, log = train_on_table(train_rt, lam, 'teacher', baseline='ema', steps=a.steps, batch=a.batch_rl, lr=a.lr,
                                   entropy_coef=a.entropy_coef, hidden=a.hidden, seed=seed)
        act = head_actions(head, eval_rt)
        cols = eval_rt.action_cols[act]
        row = score(eval_rt.nfe[rows, cols], Q[rows, cols], policy_summary(eval_rt, act), lam)
        tr = policy_summary(train_rt, head_actions(head, train_rt))
        row['reward_train'] = tr['quality_teacher'] - lam * tr['nfe']
    row.update(lam=lam, seed=seed, kind=kind, wall_s=time.time() - t0, final_train_reward=log[-1]['reward'])
    runs.append(row)

# per lambda: seed means (s.e. over seeds), the threshold margin's block s.e. (mean over seeds), dominance counts
best_fixed = {lam: max(((n, q) for n, q in points['fixed']), key=lambda p: p[1] - lam * p[0]) for lam in lams}
R_rules = eval_rt.quality('teacher') - torch.tensor(lams)[:, None, None].double() * eval_rt.nfe.double()   # (λ, N, R)
oracle_stop = {lam: (eval_st.rewards(lam).masked_fill(~eval_st.valid, -float('inf')).max(-1).values.mean().item()) for lam in lams}   # hindsight: best stop step per block
headline = []
for i, lam in enumerate(lams):
    h = dict(lam=lam, best_fixed=dict(zip(('nfe', 'quality'), best_fixed[lam])),
             reward_best_fixed=best_fixed[lam][1] - lam * best_fixed[lam][0],
             reward_best_threshold=max(R_rules[i, :, j].mean().item() for j, r in enumerate(eval_rt.rules) if r.startswith('threshold:')),
             reward_best_rule=R_rules[i].mean(0).max().item(), reward_oracle_stop=oracle_stop[lam])
    blk = {k: torch.stack([r['reward_blocks'] for r in runs if r['lam'] == lam and r['kind'] == k]).mean(0) for k in ('stop_exact', 'stop_reinforce', 'block_reinforce')}
    for kind in ('stop_exact', 'stop_reinforce', 'block_reinforce'):
        rs = [r for r in runs if r['lam'] == lam and r['kind'] == kind]
        m = lambda key: (float(np.mean([r[key] for r in rs])), float(np.std([r[key] for r in rs], ddof=1) / len(rs) ** 0.5) if len(rs) > 1 else None)
        mg = [r['margin_threshold'] for r in rs]
        me = [r['margin_entropy'] for r in rs]
        pooled = lambda ms: None if any(g is None for g in ms) else dict(margin=float(np.mean([g['margin'] for g in ms])), se=float(np.mean([g['se'] for g in ms])),
                                                                         seeds_above=sum(g['margin'] >= 0 for g in ms))
        h[kind] = dict(nfe=m('nfe'), quality=m('quality'), reward=m('reward'), reward_train=m('reward_train'),
                       dominates_threshold=sum(r['vs_threshold']['dominates'] is True for r in rs),
                       out_of_range_threshold=sum(r['vs_threshold']['dominates'] is None for r in rs),
                       dominates_threshold_sweep=sum(r['vs_threshold_sweep']['dominates'] is True for r in rs),
                       out_of_range_threshold_sweep=sum(r['vs_threshold_sweep']['dominates'] is None for r in rs),
                       dominates_entropy=sum(r['vs_entropy']['dominates'] is True for r in rs),
                       dominates_fixed=sum(r['vs_fixed']['dominates'] is True for r in rs), n_seeds=len(rs),
                       margin_threshold=[None if g is None else dict(margin=g['margin'], se=g['se'], between=list(g['between'])) for g in mg],
                       margin_entropy=[None if g is None else dict(margin=g['margin'], se=g['se'], between=list(g['between'])) for g in me],
                       margin_threshold_mean=pooled(mg), margin_entropy_mean=pooled(me),   # mean of seeds' margins and of their s.e. over blocks
                       stop_hist=[r['eval'].get('stop_hist', r['eval'].get('k_hist')) for r in rs])
        if kind.startswith('stop'):
            h[kind]['expected_reward_stochastic'] = m('expected_reward_stochastic')
        d = blk[kind] - blk['block_reinforce']                                        # paired per block, seed-averaged
        h[kind]['reward_minus_block_head'] = dict(mean=d.mean().item(), se=(d.std() / len(d) ** 0.5).item())
    headline.append(h)
    for kind in ('stop_exact', 'stop_reinforce', 'block_reinforce'):
        k = h[kind]
        print(f"lam {lam:<5} {kind:16s} NFE {k['nfe'][0]:.3f}  q {k['quality'][0]:+.4f} ± {k['quality'][1] or 0:.4f}  reward {k['reward'][0]:+.4f} "
              f"(train {k['reward_train'][0]:+.4f})  dominates thr {k['dominates_threshold']}/{k['n_seeds']} (out of range {k['out_of_range_threshold']})  "
              f"margin thr {[None if g is None else round(g['margin'], 4) for g in k['margin_threshold']]}  margin ent {[None if g is None else round(g['margin'], 4) for g in k['margin_entropy']]}  vs block head {k['reward_minus_block_head']['mean']:+.4f} ± {k['reward_minus_block_head']['se']:.4f}")
    print(f"          best fixed {h['reward_best_fixed']:+.4f}  best threshold {h['reward_best_threshold']:+.4f}  best rule {h['reward_best_rule']:+.4f}  stop oracle {h['reward_oracle_stop']:+.4f}")

head_flops = stop_head_flops(train_stop_head(train_st, lams[0], steps=1, hidden=a.hidden)[0], c.vocab_size)
fwd_flops = 2 * bs * (model.n_params() + c.vocab_size * c.d_model) + 4 * bs * (a.context + bs) * c.d_model * c.n_layers   # as adaptive_real
targets = {kind: dict(dominates_threshold_lams=sum(2 * h[kind]['dominates_threshold'] > h[kind]['n_seeds'] for h in headline),
                      dominates_threshold_sweep_lams=sum(2 * h[kind]['dominates_threshold_sweep'] > h[kind]['n_seeds'] for h in headline),
                      dominates_entropy_lams=sum(2 * h[kind]['dominates_entropy'] > h[kind]['n_seeds'] for h in headline), n_lams=len(lams))
           for kind in ('stop_exact', 'stop_reinforce', 'block_reinforce')}
targets.update(head_flops_per_step=head_flops, forward_flops=fwd_flops, head_cost_frac=head_flops / fwd_flops)
print('targets:', targets)

config = dict(checkpoint=a.checkpoint, teacher=a.teacher, checkpoint_manifest_sha256={q: sha256_file(Path(q) / 'manifest.json') for q in (a.checkpoint, a.teacher)},
              block_size=bs, data=str(SAMPLE_DIR), split='train', eval_split='val', n_blocks=a.n_blocks, n_eval_blocks=a.n_eval_blocks,
              context=a.context, lambdas=lams, seeds=seeds, steps=a.steps, batch_rl=a.batch_rl, lr=a.lr, entropy_coef=a.entropy_coef,
              hidden=a.hidden, threads=a.threads, rules=eval_rt.rules,
              threshold_family='threshold:0.1..0.99 with its limits fixed:1 (tau -> 0) and fixed:block_size (tau -> 1); threshold_sweep: 0.5..0.99 only', features='confidence (+ step fraction, masked fraction for the stop head)',
              path=PATH, continue_share=f"the step rule {PATH}'s share of the masked positions (fixed:block_size: the most confident one)",
              quality='-(teacher mean NLL per token of the committed block - that of K = block_size), nats; reward = quality - lambda * forwards')
for r in runs: del r['reward_blocks']
metrics = dict(rules=rule_rows, headline=headline, targets=targets, runs=runs, checks=dict(train=train_check, eval=eval_check),
               real_nll_teacher=eval_st.real_nll.mean().item(), wall_s=time.time() - t_start)
if a.save_heads: metrics['head_files'] = head_files
cmd = (f'python experiments/stop_head.py --checkpoint {a.checkpoint} --name {a.name} --n_blocks {a.n_blocks} --n_eval_blocks {a.n_eval_blocks} '
       f'--context {a.context} --threads {a.threads}' + (f' --path {a.path}' if a.path else '')
       + ('' if a.lambdas == '0.01,0.05,0.1,0.5' else f' --lambdas {a.lambdas}') + ('' if a.seeds == '0,1,2' else f' --seeds {a.seeds}')
       + (f' --save_heads {a.save_heads}' if a.save_heads else ''))
path = write_result(Path(a.out_dir) / f'stop_head_{a.name}.json', make_result(f'stop_head_{a.name}', 'stop_head', config, metrics, seed=seeds[0], command=cmd, device='cpu'))
print(f'wrote {path} in {time.time() - t_start:.0f}s')
