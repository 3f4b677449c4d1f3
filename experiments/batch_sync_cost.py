"""What a batch pays for rows that step at different rates (issue 14/15): decode code_line prompts in batches with the
reference sampler (`cascade.sampler.stream`, the same per-row step rules as the GPU engine), and count per batch

- `sync` (`decode_until`'s batch forwards): the forwards the batch runs when all rows decode the same block together, each block until its slowest row is
  done (what `BlockEngine` and the reference do): the stream's NFE up to the block where the last row holds its stop;
- `async`: the forwards if each row advanced to its next block as soon as its own rule stopped (no engine does this yet):
  the largest per-row NFE up to its own stop, plus the prefill;
- `ar`: an AR engine's forwards for the same rows: the longest row's tokens to its stop, in replays of `AR_CHUNK` (for a
  CASCADE rule, with that rule's row lengths; `--checkpoint checkpoints/train_ar --rules ar` decodes the AR teacher itself).

Per rule: tokens to the stops, row forwards per token (the per-row NFE the Pareto table reports), and the batch forwards
per token under `sync` and `async`. Compared with the GPU pass's `batch_forwards_per_token` it says whether the gap
between row and batch forwards is the batch waiting for its slowest row, and what per-row advance could recover.

    python experiments/batch_sync_cost.py --items 256 --batch 64 --out results/batch_sync_cost_cpu.json

`--engine row` decodes with `BlockEngine(advance='row')` (built since), whose rows do advance on their own, and counts its
forwards up to the last row's stop (and those it ran, one queued past that), to set beside the `async` estimate:

    python experiments/batch_sync_cost.py --engine row --rules entropy:0.5,... --out results/batch_sync_cost_row_cpu.json

`--engine queue` puts all the items through one engine's rows by continuous batching (`decode_queue`, the harness's
queue=true): a row takes the next item as soon as its stop is written. Its batch forwards per token (refill prefills
included) against the static batches':

    python experiments/batch_sync_cost.py --engine queue --rules ar --checkpoint checkpoints/train_ar --out ...
"""
import argparse, json, math, sys, time
from pathlib import Path
import torch
from tqdm import tqdm
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from cascade.evaluation import CascadeEvalLM, decode_until, decode_queue, AR_CHUNK, read_manifest
from cascade.results import make_result, write_result

RULES = 'fixed:4,fixed:2,threshold:0.9,entropy:0.5,entropy:0.1,stop:results/heads/stop_head_b4_entropy_cpu_lam0.1.safetensors'

def batch_costs(lm, prompts:list, max_new:int, until:list, engine=None) -> dict:
    """One batch through `decode_until` with lm's rule: sync/async/AR forwards and tokens to the stops. `engine`: decode
    with it instead of the reference (a `BlockEngine(advance='row')`: its forwards up to the last row's stop, and run)."""
    rows, batch = decode_until(lm.model, prompts, max_new, lm.tok_decode, until, lm.rule, seed=0, engine=engine)
    n, row_nfe = [x['tokens'] for x in rows], [x['nfe'] for x in rows]
    ar = 1 + math.ceil(max(max(n) - 1, 0) / AR_CHUNK) * AR_CHUNK                 # an AR engine's replays of AR_CHUNK steps
    if lm.rule is None: return dict(tokens=sum(n), row_nfe=sum(n), sync=ar, asyn=ar, ar=ar, rows=len(rows))
    out = dict(tokens=sum(n), row_nfe=sum(row_nfe), asyn=batch['nfe_prefill'] + max(row_nfe), ar=ar, rows=len(rows))
    if engine is None: out['sync'] = batch['nfe']
    else: out.update(engine=batch['nfe'], engine_run=batch['nfe_run'])
    return out

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--checkpoint', default='checkpoints/convert_b4')
    ap.add_argument('--rules', default=RULES)
    ap.add_argument('--items', type=int, default=256, help='the first N items of code_line in the harness order (longest prompts first)')
    ap.add_argument('--batch', type=int, default=64)
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--engine', choices=('none', 'row', 'queue'), default='none',
                    help="row: decode with BlockEngine(advance='row') (eager on the CPU) and count its forwards, against the async estimate; "
                         "queue: every item through one engine's --batch rows by continuous batching (decode_queue; AREngine for AR)")
    ap.add_argument('--out', default='results/batch_sync_cost_cpu.json')
    a = ap.parse_args(argv)
    if a.items < 1 or a.batch < 1: ap.error('--items and --batch must be positive')
    torch.set_num_threads(a.threads)
    task = Path('tasks/code_line/code_line.jsonl')
    docs = [json.loads(l) for l in task.open()]
    rows = []
    for spec in a.rules.split(','):
        row, que = a.engine == 'row', a.engine == 'queue'
        lm = CascadeEvalLM(pretrained=a.checkpoint, rule=spec, batch_size=a.batch, device='cpu', engine=row or que,
                           **({'advance': 'row'} if (row or que) and spec != 'ar' else {}))
        room = lm.max_length - -(-48 // lm.model.cfg.block_size) * lm.model.cfg.block_size - lm.model.cfg.block_size
        prompts = [(lm.tok_encode(d['prompt']) or [lm.eot_token_id])[-room:] for d in docs]
        order = sorted(range(len(prompts)), key=lambda i: -len(prompts[i]))[:a.items]   # generate_until's order: longest first
        if que:                                                              # all items through one engine's rows
            ps = [prompts[i] for i in order]
            t0 = time.time()
            eng = lm._engine_for(a.batch, max(map(len, ps)), 48, 0.0, 1.0, ['\n'])
            res, bq = decode_queue(lm.model, ps, 48, lm.tok_decode, ['\n'], eng)
            t = sum(x['tokens'] for x in res)
            x = dict(rule=spec, items=len(order), rows=a.batch, tokens=t, row_nfe_per_token=sum(x['nfe'] for x in res) / t,
                     queue_batch_fwd_per_token=bq['nfe'] / t, queue_forwards=bq['nfe'], queue_prefills=bq['nfe_prefill'],
                     decoder=f"{type(eng).__name__}.run_queue (continuous batching), eager on the CPU", wall_s=time.time() - t0)
            rows.append(x)
            print(f"{spec[:40]:40s} tokens {t}  row NFE/t {x['row_nfe_per_token']:.3f}  queue batch fwd/t {x['queue_batch_fwd_per_token']:.4f} "
                  f"({bq['nfe']} forwards, {bq['nfe_prefill']} prefills)  ({x['wall_s']:.0f}s)", flush=True)
            continue
        keys = ('tokens', 'row_nfe', 'asyn', 'ar') + (('engine', 'engine_run') if row and lm.rule is not None else ('sync',))
        tot = dict.fromkeys(keys, 0) | dict(batches=0)
        t0 = time.time()
        for b in tqdm(range(0, len(order), a.batch), desc=spec[:24], mininterval=5):
            batch = [prompts[i] for i in order[b:b + a.batch]]
            eng = lm._engine_for(len(batch), max(map(len, batch)), 48, 0.0, 1.0) if row and lm.rule is not None else None
            c = batch_costs(lm, batch, 48, ['\n'], eng)
            for k in keys: tot[k] += c[k]
            tot['batches'] += 1
        t = tot['tokens']
        x = dict(rule=spec, items=len(order), batches=tot['batches'], tokens=t, row_nfe_per_token=tot['row_nfe'] / t,
                 async_batch_fwd_per_token=tot['asyn'] / t, ar_batch_fwd_per_token=tot['ar'] / t, wall_s=time.time() - t0)
        if 'sync' in tot: x.update(sync_batch_fwd_per_token=tot['sync'] / t, async_vs_sync=tot['asyn'] / tot['sync'])
        else: x.update(decoder="BlockEngine(advance='row'), eager on the CPU", engine_batch_fwd_per_token=tot['engine'] / t,
                       engine_run_batch_fwd_per_token=tot['engine_run'] / t, engine_vs_async=tot['engine'] / tot['asyn'])
        rows.append(x)
        print(f"{spec[:40]:40s} tokens {t}  row NFE/t {x['row_nfe_per_token']:.3f}  "
              + (f"batch fwd/t sync {x['sync_batch_fwd_per_token']:.4f} " if 'sync' in tot else
                 f"engine {x['engine_batch_fwd_per_token']:.4f} (run {x['engine_run_batch_fwd_per_token']:.4f}) ")
              + f"async {x['async_batch_fwd_per_token']:.4f}  AR {x['ar_batch_fwd_per_token']:.4f}  ({x['wall_s']:.0f}s)", flush=True)
    cfg = dict(checkpoint=a.checkpoint, rules=a.rules, items=a.items, batch=a.batch, task='code_line', max_gen_toks=48, until=['\n'],
               task_sha256=read_manifest()['tasks']['code_line']['sha256'],
               decoder={'row': "BlockEngine(advance='row'), eager, float32, CPU", 'queue': 'run_queue of AREngine or BlockEngine(advance=row), eager, float32, CPU'}.get(a.engine, 'cascade.sampler.stream (reference, float32, CPU)'),
               ar_chunk=AR_CHUNK)
    cmd = 'python experiments/batch_sync_cost.py ' + ' '.join(argv if argv is not None else sys.argv[1:])
    print('wrote', write_result(Path(a.out), make_result(Path(a.out).stem, 'bench', cfg, dict(rows=rows), seed=0, command=cmd)))

if __name__ == '__main__':
    main()
