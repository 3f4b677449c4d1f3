"""Several models on several lm-eval tasks in one process, and the matched-quality verdict of each against a reference
model (issue 13): lm-eval's own `simple_evaluate` with the `cascade` model (`cascade.evaluation.CascadeEvalLM`), offline,
on the pinned task files of `tasks/` (sha256-checked first). A plain script, so that it runs where papermill is absent
(the GPU machine, with the wheelhouse `.whl/` of scripts/gpu_wheels.sh).

For every model x task: lm-eval's aggregate metrics with their standard errors, the per-item scores (`log_samples`), the
NFE, tokens/s and log-likelihood estimator of `CascadeEvalLM.describe()`. For every model but the reference, per task
the paired bootstrap of `cascade.quality.paired_bootstrap` on the task's primary metric (`PRIMARY`: acc_norm for the
multiple-choice tasks, acc for LAMBADA, exact match for code_line) and `cascade.quality.matched_quality` over all tasks
(every task within 2 points of the reference). The result is written after each model, so a run cut short keeps what
it measured.

`--per_request N` also times `generate_until` itself (issue 13's bar): the first N code_line items of every model decoded
in batches of --batch_size and one request at a time (batch_size 1), each with its own engine built before the clock
starts; the ratio of their decode seconds, the share of identical outputs and both exact-match scores go in the model's
row (`per_request`).

    python experiments/evaluate_tasks.py --models teacher=PATH twin=PATH cc3=PATH:verify --reference twin \\
        --tasks olmo_arc_easy olmo_hellaswag olmo_piqa olmo_lambada code_line --limit 0 --batch_size 64 --out results/X.json

A model is `name=FOLDER[:rule]` (rule as in `cascade.evaluation.parse_rule`; none: `ar` for a causal LM); `--limit 0`
runs every item of each task file.
"""
import argparse, json, logging, os, sys, time
from pathlib import Path

PRIMARY = dict(olmo_arc_easy='acc_norm', olmo_arc_easy_test='acc_norm', olmo_hellaswag='acc_norm', olmo_piqa='acc_norm',
               olmo_lambada='acc', code_line='code_exact_match')


def parse_models(specs:list) -> dict:
    "{name: (folder, rule or None)} from `name=FOLDER[:rule]`; a clear error for a malformed spec, a repeated name or a missing folder."
    out = {}
    for spec in specs:
        name, eq, rest = spec.partition('=')
        if not eq or not name or not rest: raise SystemExit(f'--models {spec!r}: expected name=FOLDER[:rule]')
        folder, _, rule = rest.partition(':')
        if name in out: raise SystemExit(f'--models: the name {name!r} appears twice')
        if not (Path(folder) / 'config.json').is_file(): raise SystemExit(f'--models {spec!r}: no checkpoint in {folder} (no config.json)')
        out[name] = (folder, rule or None)
    return out


def per_item(samples:list, metric:str) -> list:
    "The per-item values of `metric` in lm-eval's logged samples, in document order."
    s = sorted(samples, key=lambda x: x['doc_id'])
    if s and metric not in s[0]: raise KeyError(f'metric {metric!r} not in the logged samples (keys: {sorted(s[0])})')
    return [float(x[metric]) for x in s]


def per_request(folder, rule, a, tm) -> dict:
    "generate_until on the first `a.per_request` code_line items, batched (`a.batch_size`) and one request at a time."
    import lm_eval, torch
    from cascade.evaluation import CascadeEvalLM
    out = {}
    for key, bs in (('batched', a.batch_size), ('single', 1)):
        lm = CascadeEvalLM(pretrained=folder, rule=rule, batch_size=bs, seed=a.seed, dtype=a.dtype or None)
        t0 = time.time()
        res = lm_eval.simple_evaluate(model=lm, tasks=['code_line'], limit=a.per_request, task_manager=tm, log_samples=True,
                                      bootstrap_iters=0)
        g = lm.describe()['generate']
        s = sorted(res['samples']['code_line'], key=lambda x: x['doc_id'])
        out[key] = dict(batch_size=bs, decode_s=g['seconds'], wall_s=time.time() - t0, tokens=g['tokens'], nfe=g['nfe'],
                        batch_forwards=g['batch_forwards'], tokens_per_s=g['tokens_per_s'],
                        exact_match=sum(float(x['code_exact_match']) for x in s) / len(s), texts=[x['resps'][0][0] for x in s])
        del lm
        if torch.cuda.is_available(): torch.cuda.empty_cache()
    tb, ts = out['batched'].pop('texts'), out['single'].pop('texts')
    return dict(n=len(tb), speedup=out['single']['decode_s'] / out['batched']['decode_s'],
                identical=sum(x == y for x, y in zip(tb, ts)) / len(tb), **out,
                note='decode seconds (CascadeEvalLM.stats: decode_until only, engines built before); speedup = single / batched')


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--models', nargs='+', required=True, help='name=FOLDER[:rule] ...')
    ap.add_argument('--tasks', nargs='+', default=list(PRIMARY), help='task names of tasks/manifest.json')
    ap.add_argument('--reference', default='', help='the model every other is judged against (default: the first)')
    ap.add_argument('--limit', type=int, default=0, help='items per task (the first ones); 0 = all')
    ap.add_argument('--batch_size', type=int, default=16)
    ap.add_argument('--dtype', default='', help="the models' dtype (e.g. float32); default: CascadeEvalLM's")
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--bootstrap_iters', type=int, default=1000, help="lm-eval's standard errors")
    ap.add_argument('--per_request', type=int, default=0,
                    help='time generate_until on the first N code_line items batched and one request at a time (0: skip)')
    ap.add_argument('--out', required=True)
    a = ap.parse_args(argv)
    models = parse_models(a.models)                                          # every input checked before any work
    ref = a.reference or next(iter(models))
    if ref not in models: raise SystemExit(f'--reference {ref!r} is not one of the models {list(models)}')
    if a.limit < 0 or a.batch_size < 1: raise SystemExit('--limit must be >= 0 and --batch_size >= 1')
    if a.per_request < 0: raise SystemExit(f'--per_request must be >= 0, got {a.per_request}')
    if a.per_request and 'code_line' not in a.tasks: raise SystemExit('--per_request times code_line: add it to --tasks')
    os.environ.update(HF_DATASETS_OFFLINE='1', HF_HUB_OFFLINE='1', TOKENIZERS_PARALLELISM='false')
    import lm_eval, torch
    from lm_eval.tasks import TaskManager
    from cascade.evaluation import CascadeEvalLM, task_include_path, read_manifest, verify_task_files
    from cascade.quality import matched_quality, TASK_POOLS
    from cascade.results import make_result, write_result
    man = read_manifest()['tasks']
    bad = [t for t in a.tasks if t not in man]
    if bad: raise SystemExit(f'--tasks {bad}: not in tasks/manifest.json ({sorted(man)})')
    verify_task_files()                                                      # every task file's sha256 against the manifest
    logging.getLogger('lm_eval').setLevel(logging.WARNING)
    tm = TaskManager(include_path=str(task_include_path()))
    cfg = dict(vars(a), models={k: dict(folder=f, rule=r) for k, (f, r) in models.items()}, reference=ref,
               task_sha256={t: man[t]['sha256'] for t in a.tasks}, primary={t: PRIMARY.get(t) for t in a.tasks},
               matched_rule='every task: the lower end of the 95% paired-bootstrap interval of (model - reference) on the '
                            'primary metric above -0.02 (cascade.quality.matched_quality); the splits of one benchmark pooled into one '
                            'task (cascade.quality.TASK_POOLS)', pools={k: list(v) for k, v in TASK_POOLS.items()})
    rows, items, t_all = {}, {}, time.time()
    def save():
        out = dict(rows=rows, per_item=items, wall_s=time.time() - t_all)
        if ref in items:                                                     # the verdicts of every model measured so far
            out['verdicts'] = {}
            for name in items:
                if name == ref: continue
                pairs = {t: (items[ref][t][PRIMARY[t]], items[name][t][PRIMARY[t]]) for t in a.tasks if PRIMARY.get(t)}
                out['verdicts'][name] = matched_quality(tasks=pairs, seed=a.seed, pools=TASK_POOLS)   # ARC-Easy's splits: one gate
        path = write_result(a.out, make_result(Path(a.out).stem, 'eval', cfg, out, seed=a.seed,
                                               command='python experiments/evaluate_tasks.py ' + ' '.join(sys.argv[1:] if argv is None else argv)))
        return path, out.get('verdicts', {})
    order = [ref] + [n for n in models if n != ref]                          # the reference first: verdicts appear as models finish
    for name in order:
        folder, rule = models[name]
        t0 = time.time()
        lm = CascadeEvalLM(pretrained=folder, rule=rule, batch_size=a.batch_size, seed=a.seed, dtype=a.dtype or None)
        res = lm_eval.simple_evaluate(model=lm, tasks=list(a.tasks), limit=a.limit or None, task_manager=tm, log_samples=True,
                                      bootstrap_iters=a.bootstrap_iters)
        d = lm.describe()
        rows[name] = dict(folder=folder, rule=d['rule'], block_size=d['block_size'], likelihood=d['likelihood_estimator'],
                          decoder=d['decoder'], device=d['device'], loglikelihood=d['loglikelihood'], generate=d['generate'],
                          wall_s=time.time() - t0, tasks={})
        items[name] = {}
        for t in a.tasks:
            r = {k.split(',')[0]: v for k, v in res['results'][t].items() if ',' in k and isinstance(v, (int, float))}
            rows[name]['tasks'][t] = dict(r, n=len(res['samples'][t]))
            metrics = [k for k in r if not k.endswith('_stderr') and k != 'perplexity']   # lambada's per-item perplexity is a log-likelihood
            items[name][t] = {m: per_item(res['samples'][t], m) for m in metrics}
            prim = PRIMARY.get(t)
            print(f"{name:10s} {t:16s} " + '  '.join(f'{k} {v:.4f}' for k, v in r.items() if not k.endswith('_stderr'))
                  + (f'  (primary {prim})' if prim else ''), flush=True)
        g = d['generate']
        if g['tokens']: print(f"{name:10s} generate: {g['nfe_per_token']:.3f} forwards per token, {g['tokens_per_s']:.0f} tokens/s", flush=True)
        del lm
        if torch.cuda.is_available(): torch.cuda.empty_cache()
        if a.per_request:
            rows[name]['per_request'] = pr = per_request(folder, rule, a, tm)
            print(f"{name:10s} generate_until on {pr['n']} code_line items: batch {a.batch_size} {pr['batched']['decode_s']:.2f} s, "
                  f"one at a time {pr['single']['decode_s']:.2f} s -> {pr['speedup']:.1f}x; identical outputs {pr['identical']:.3f}", flush=True)
        _, verdicts = save()
        if name != ref:
            v = verdicts[name]
            for t, b in {**v['tasks'], **{g: v['gates'][g] for g in v['pools']}}.items():
                more = f" (about {b['items_to_show']} items would show it, were the difference to stay)" if not b['ok'] and b.get('items_to_show') else ''
                print(f"  {name} vs {ref} {t}: diff {b['diff']:+.4f} CI [{b['ci'][0]:+.4f}, {b['ci'][1]:+.4f}] -> {b['verdict']}{more}")
            print(f"  {name} vs {ref}: {v['verdict']}", flush=True)
    print(f'wrote {save()[0]}')


if __name__ == '__main__': main()
