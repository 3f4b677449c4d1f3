"""Summarise the runs of experiments/ddp_scaling.sh (1 GPU, 2 GPUs DDP, 2 GPUs FSDP2, and two resumes across world
sizes) into OUT/ddp_scaling.json: tokens/s and MFU per run, the 2-GPU / 1-GPU ratios, loss differences along the
curves, and every run's exit code. A run that did not finish leaves its entries None; the summary is written anyway.

    python experiments/ddp_scaling.py --out OUT --mode gpu --steps 100 --resume_at 90
"""
import argparse, json
from pathlib import Path
from cascade.results import make_result, write_result

# run name -> (what it is, the run it continues from its checkpoint, or None)
RUNS = {'one': ('1 process', None), 'ddp': ('2 processes, DDP', None), 'fsdp': ('2 processes, FSDP2', None),
        'fsdp_to_1': ('fsdp resumed on 1 process', 'fsdp'), 'one_to_fsdp': ('one resumed on 2 processes, FSDP2', 'one'),
        'ddp_weak': ("2 processes, DDP, twice the global batch (each process has one's batch)", None)}

def losses(run_dir:Path) -> dict:
    "{step: training loss} from a run's metrics.jsonl ({} if there is none)."
    p = run_dir / 'metrics.jsonl'
    if not p.is_file(): return {}
    recs = [json.loads(l) for l in p.read_text().splitlines() if l.strip()]
    return {r['step']: r['loss'] for r in recs if r['kind'] == 'train'}

def compare(a:dict, b:dict) -> dict|None:
    "Differences of loss curve `a` to `b` over the steps both have: max and mean |a - b|, max |a - b| / |b|."
    steps = sorted(set(a) & set(b))
    if not steps: return None
    d = [abs(a[s] - b[s]) for s in steps]
    return {'steps': len(steps), 'first_step': steps[0], 'last_step': steps[-1], 'max_abs': max(d), 'mean_abs': sum(d) / len(d),
            'max_rel': max(x / abs(b[s]) for x, s in zip(d, steps))}

def ratio(a, b): return a / b if a is not None and b else None

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--out', required=True, help='the directory ddp_scaling.sh wrote')
    ap.add_argument('--mode', required=True, choices=('gpu', 'cpu_smoke'))
    ap.add_argument('--steps', type=int, required=True)
    ap.add_argument('--resume_at', type=int, required=True)
    a = ap.parse_args(argv)
    out = Path(a.out)
    runs, curves, configs = {}, {}, {}
    for name, (what, _) in RUNS.items():
        rc = out / f'{name}.rc'
        res_p = out / 'results' / f'{name}.json'
        res = json.loads(res_p.read_text()) if res_p.is_file() else None
        m = res['metrics'] if res else {}
        curves[name] = losses(out / name)
        if res: configs[name] = res['config']
        runs[name] = {'what': what, 'exit': rc.read_text().strip() if rc.is_file() else 'not run',
                      'world_size': m.get('world_size'), 'parallel': res['config']['train']['parallel'] if res else None,
                      'tokens_per_s': m.get('tokens_per_s'), 'mfu': m.get('mfu'), 'wall_s': m.get('wall_s'),
                      'train_loss': m.get('train_loss'), 'val_loss': m.get('val_loss'), 'steps_logged': len(curves[name])}
    tps = {k: r['tokens_per_s'] for k, r in runs.items()}
    speedup = {k: ratio(tps[k], tps['one']) for k in ('ddp', 'fsdp')}
    weak = ratio(tps['ddp_weak'], tps['one'])                        # the same per-process batch: communication and the rest
    metrics = {
        'runs': runs,
        'tokens_per_s_ratio_2gpu_over_1gpu': speedup,
        'scaling_efficiency': {k: v / 2 if v is not None else None for k, v in speedup.items()},
        'tokens_per_s_ratio_weak': weak, 'scaling_efficiency_weak': weak / 2 if weak is not None else None,
        'loss_vs_1gpu': {k: compare(curves[k], curves['one']) for k in ('ddp', 'fsdp')},
        'loss_ddp_vs_fsdp': compare(curves['ddp'], curves['fsdp']),       # two 2-process runs: the scale of bf16 noise
        'resume': {k: {'from': src, 'at_step': a.resume_at,
                       'vs_uninterrupted': compare(curves[k], curves[src]),
                       'vs_1gpu': compare(curves[k], curves['one'])}
                   for k, (_, src) in RUNS.items() if src},
        'runs_done': [k for k, r in runs.items() if r['exit'] != 'not run'],      # DDP_SCALING_RUNS may ask for fewer
        'complete': all(r['exit'] == '0' for r in runs.values() if r['exit'] != 'not run'),
    }
    steps = sorted(set().union(*curves.values()))
    curve = [{'step': s, **{f'loss_{k}': c[s] for k, c in curves.items() if s in c}} for s in steps]
    base = configs.get('one') or next(iter(configs.values()), {})
    config = {'mode': a.mode, 'steps': a.steps, 'resume_at': a.resume_at, 'model': base.get('model'),
              'train': {k: v for k, v in (base.get('train') or {}).items() if k not in ('run', 'out_dir', 'resume', 'parallel')}}
    path = write_result(out / 'ddp_scaling.json', make_result('ddp_scaling', 'train_parallel', config, metrics, curve=curve, seed=0,
                                                              device='cpu' if a.mode == 'cpu_smoke' else None))
    print(f'{"run":12s} {"exit":>7s} {"world":>5s} {"tokens/s":>10s} {"MFU":>6s} {"final loss":>10s}')
    for k, r in runs.items():
        f = lambda v, spec: format(v, spec) if v is not None else '-'
        print(f'{k:12s} {r["exit"]:>7s} {f(r["world_size"], "d"):>5s} {f(r["tokens_per_s"], ".4g"):>10s} {f(r["mfu"], ".1%"):>6s} {f(r["train_loss"], ".4f"):>10s}')
    print('2 GPUs / 1 GPU tokens/s:', {k: v and round(v, 3) for k, v in speedup.items()}, '| weak (twice the global batch):', weak and round(weak, 3))
    print('max |loss diff| vs 1 GPU:', {k: v and f"{v['max_abs']:.2e}" for k, v in metrics['loss_vs_1gpu'].items()},
          '| DDP vs FSDP:', metrics['loss_ddp_vs_fsdp'] and f"{metrics['loss_ddp_vs_fsdp']['max_abs']:.2e}")
    print('resumed, max |loss diff| vs the run continued:', {k: v['vs_uninterrupted'] and f"{v['vs_uninterrupted']['max_abs']:.2e}"
                                                            for k, v in metrics['resume'].items()})
    print(path)
    return metrics

if __name__ == '__main__': main()
