"""Fused draft and verify on the GPU (issue 12): `cascade.engine.VerifyEngine` on a clean-causal model against
`cascade.engine.AREngine` on the AR twin, in one process on one GPU.

1. **Exactness on the device**: the graph-replayed engine gives the eager engine's tokens and counts (float32); with
   real AR weights (not `--ar_random`), AREngine with graphs and each attention ('auto', 'flex', 'sdpa') against its
   eager SDPA decode, and the run stops if 'auto' differs (the baseline must decode right to be timed).
2. **Quality** (`--task_items` > 0): the code_line task (tasks/code_line/code_line.jsonl) decoded by VerifyEngine in
   float32 (`--task_dtype bf16`: bfloat16, the speed runs' precision), each prompt cut to the evaluation's prompt room, until the first newline (at most 48 new tokens, as
   `cascade.evaluation` does); exact match per item (`normalize_code`), and the paired bootstrap of the matched-quality
   rule (`cascade.quality.paired_bootstrap`) against the per-item scores of the configurations named by `--reference`
   in an evaluation result (default: the twin `ar` and the teacher `teacher` of eval_code_line_converted_twin_gpu).
   The output is the causal stream's greedy decode, so this is the quality of every VerifyEngine run of the model.
   `accept_rate` counts the drafts after candidate 0 (which is the causal token itself), including drafts a row's last
   step commits past its stop; `generate_verify`'s count also includes the first position, so the two rates differ.
3. **Speed**: the benchmark's prompts (`cascade.bench.val_prompts`: held-out validation windows of `--prompt_len` tokens),
   `--max_new_tokens` new tokens, no stops, bf16, CUDA graphs + compiled layers (and VerifyEngine's compiled step
   unless `--no-compile_step`), at each batch size (batch 1: each of
   `--batch1_prompts` prompts timed apart, the median prompt reported): AR then
   VerifyEngine (one and four steps per host check), median of `--repeats` timed runs after a warm-up; tokens/s and the
   ratio to AR's tokens/s in the same run, forwards, tokens per forward, drafts accepted, unigram entropy of the
   samples, and the AR twin's perplexity of both engines' samples at `--judge_at` (the benchmark's judge).
4. **A queue** (`--queue N`): N prompts through each `--queue_batch` number of rows; AR decodes them in batches of that
   size, and VerifyEngine by continuous batching (`generate_many`: the rows that finished take the next prompts, in
   refills of up to each `--max_refill` rows once `--refill_at` rows wait), so it no longer waits for each batch's slowest row. Tokens/s of both,
   median of `--repeats`; `metrics.queues` has every run, `metrics.queue` the first.
   `--profile` adds, per row, the kernels of one more generate under torch.profiler (count and device time per
   forward, the top kernels: `experiments/engine_profile.py`'s `kernel_profile`).

    python experiments/verify_bench.py --cc checkpoints/convert_cc_b4 --ar checkpoints/twin_ar --out results/verify_bench_gpu.json
"""
import argparse, json, time
from pathlib import Path
import torch
from tqdm.auto import tqdm
from cascade.model import CascadeLM
from cascade.data import load_tokenizer
from cascade.engine import AREngine, VerifyEngine
from cascade.bench import val_prompts as bench_val_prompts, _time_all, unigram_entropy, judge_ppl
from cascade.quality import normalize_code
from cascade.quality import paired_bootstrap
from cascade.results import make_result, write_result
import sys; sys.path.insert(0, str(Path(__file__).parent))
from engine_profile import kernel_profile


def newline_ids(tok, vocab_size:int) -> list:
    "Every token id whose text holds a newline (the stop set of one-line completion)."
    return [i for i in range(vocab_size) if '\n' in tok.decode([i])]


def task_run(model, tok, docs, batch:int, max_new:int, progress:bool=True, variants=None) -> dict:
    "VerifyEngine over the task items in batches (the last one padded with copies of its first item, dropped after)."
    c, bs = model.cfg, model.cfg.block_size
    room = c.max_seq_len - -(-max_new // bs) * bs - bs                     # the prompt room of cascade.evaluation's generate_until
    prs = [tok.encode(d['prompt'], add_special_tokens=False)[-room:] or [c.eos_id] for d in docs]
    eng = VerifyEngine(model, batch, max(len(p) for p in prs), max_new, stop_ids=newline_ids(tok, c.vocab_size),
                       stop_at_eos=True, variants=variants)                 # as the evaluation: EOS ends the line, cut before it
    per, t0 = [], time.time()
    for i in tqdm(range(0, len(prs), batch), desc='task', disable=not progress):
        chunk = prs[i:i + batch]
        n = len(chunk)
        o = eng.generate(chunk + [chunk[0]] * (batch - n))
        for r in range(n):
            g = o['tokens'][r]
            text = tok.decode(g).split('\n', 1)[0]
            per.append(dict(em=float(normalize_code(text) == normalize_code(docs[i + r]['target'])), tokens=len(g),
                            steps=o['steps'][r], accepted=o['accepted'][r], drafted=o['drafted'][r]))
    if model.tok.weight.is_cuda: torch.cuda.synchronize()
    tot = lambda k: sum(p[k] for p in per)
    return dict(items=len(per), exact_match=tot('em') / len(per), tokens=tot('tokens'), row_steps=tot('steps'),
                tokens_per_row_step=tot('tokens') / tot('steps'),             # every forward of the row (the headline)
                tokens_per_row_step_after_first=tot('tokens') / (tot('steps') - len(per)),
                accept_rate=tot('accepted') / max(tot('drafted'), 1), wall_s=time.time() - t0, prompt_room=room, per_item=per)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--cc', required=True, help='a clean-causal model folder')
    ap.add_argument('--ar', required=True, help='the AR baseline folder (block size 1, unshifted)')
    ap.add_argument('--ar_random', action='store_true',
                    help="time AR on random weights of --ar's config (its decode time does not depend on them: a fixed number of "
                         "steps of fixed shapes, no early stop); no judge, no AR entropy. For a device call that carries one model")
    ap.add_argument('--task', default='tasks/code_line/code_line.jsonl')
    ap.add_argument('--task_items', type=int, default=1200, help='0: no task run')
    ap.add_argument('--task_batch', type=int, default=64)
    ap.add_argument('--reference', default='results/eval_code_line_converted_twin_gpu.json',
                    help='an evaluation result with per-item scores of the same task items')
    ap.add_argument('--reference_configs', nargs='*', default=['ar', 'teacher'])
    ap.add_argument('--batch_sizes', type=int, nargs='*', default=[1, 16, 64], help='none: no speed runs')
    ap.add_argument('--prompt_len', type=int, default=128)
    ap.add_argument('--batch1_prompts', type=int, default=16, help='batch 1 is timed on this many prompts apart; the median counts')
    ap.add_argument('--max_new_tokens', type=int, default=256)
    ap.add_argument('--temperature', type=float, default=0.0, help='the speed runs (3, 4): 0 greedy; > 0 both engines sample (VerifyEngine: speculative sampling, the causal stream\'s distribution)')
    ap.add_argument('--top_p', type=float, default=1.0, help='the speed runs\' nucleus (with --temperature > 0)')
    ap.add_argument('--repeats', type=int, default=5)
    ap.add_argument('--judge_at', type=int, default=16)
    ap.add_argument('--compile', action=argparse.BooleanOptionalAction, default=True)
    ap.add_argument('--compile_step', action=argparse.BooleanOptionalAction, default=None,
                    help="VerifyEngine's compile_step: also compile the step's inputs and bookkeeping (default: as --compile)")
    ap.add_argument('--attn', default='auto', choices=('auto', 'sdpa', 'flex', 'packed'), help="VerifyEngine's step attention (speed and device checks; auto: packed for grouped heads at >= 16 rows)")
    ap.add_argument('--ar_attn', default='auto', choices=('auto', 'sdpa', 'flex', 'packed'), help="AREngine's attention in the speed runs")
    ap.add_argument('--variants', type=int, default=None,
                    help="VerifyEngine's noisy copies of the block per row and step (default: the block size); fewer: narrower forwards, fewer drafts")
    ap.add_argument('--queue', type=int, default=0, help='part 4: this many prompts through --queue_batch rows (0: no queue run)')
    ap.add_argument('--queue_batch', type=int, nargs='+', default=[64], help='part 4: rows of the queue run (each size a run)')
    ap.add_argument('--max_refill', type=int, nargs='+', default=[0],
                    help="part 4: VerifyEngine's max_refill, each a run (0: the engine's default, min(rows, 16); 1: one row a refill)")
    ap.add_argument('--refill_at', type=int, nargs='+', default=[0],
                    help="part 4: generate_many's refill_at, each a run with each --max_refill (0: its default, min(max_refill, max(1, rows // 8)))")
    ap.add_argument('--task_dtype', default='fp32', choices=('fp32', 'bf16'), help="the task's decode precision (the speed runs are bf16)")
    ap.add_argument('--profile', action='store_true', help='per row: kernels per forward and the top kernels of one profiled generate (CUDA)')
    ap.add_argument('--tokenizer', default='', help="a folder with the models' tokenizer (e.g. the --cc folder of a converted SmolLM2); default: the nano tokenizer")
    ap.add_argument('--val_tokens', default='', help="a token folder whose val split gives the speed runs' prompts; default: the committed sample")
    ap.add_argument('--device', default='cuda', help='cpu: a smoke test of the script (no graphs; its timings mean nothing)')
    ap.add_argument('--threads', type=int, default=0)
    ap.add_argument('--flex_gqa', action='store_true',
                    help='lift cascade.engine.FLEX_GQA_CUDA: grouped-query models on FlexAttention (query groups padded, '
                         'cascade.model.FLEX_GQA_PAD), for both engines; the exactness checks below stop the run if it is wrong')
    ap.add_argument('--out', default='results/verify_bench_gpu.json')
    a = ap.parse_args(argv)
    if a.flex_gqa:
        import cascade.engine, cascade.model
        if not cascade.model.FLEX_GQA_PAD: raise SystemExit('--flex_gqa: cascade.model.FLEX_GQA_PAD is off (the unpadded path is wrong on CUDA)')
        cascade.engine.FLEX_GQA_CUDA = True
    for d in (a.cc, a.ar):                                                   # every input checked before any work
        if not (Path(d) / 'config.json').is_file(): raise SystemExit(f'{d}: no saved model there')
    if a.ar_random: a.judge_at = 0
    if a.task_items and not Path(a.task).is_file(): raise SystemExit(f'{a.task}: no task file')
    if a.tokenizer and not Path(a.tokenizer).is_dir(): raise SystemExit(f'--tokenizer {a.tokenizer}: no such folder')
    if a.val_tokens and not (Path(a.val_tokens) / 'index.json').is_file(): raise SystemExit(f'--val_tokens {a.val_tokens}: no token folder (index.json) there')
    if a.task_items and a.reference and not Path(a.reference).is_file(): raise SystemExit(f'{a.reference}: no such result')
    if a.queue < 0 or min(a.queue_batch) < 1 or min(a.max_refill + a.refill_at) < 0: raise SystemExit('--queue, --max_refill and --refill_at must be >= 0, --queue_batch >= 1')
    if min(a.batch_sizes, default=1) < 1 or a.batch1_prompts < 1 or a.repeats < 1 or a.max_new_tokens < 1: raise SystemExit('batch sizes, --repeats, --max_new_tokens must be >= 1')
    from cascade.model import _read_config
    ccfg, acfg = _read_config(Path(a.cc)), _read_config(Path(a.ar))
    if not ccfg.clean_causal: raise SystemExit(f'{a.cc} is not a clean-causal model')
    if a.batch_sizes and a.prompt_len + a.max_new_tokens + ccfg.block_size > min(ccfg.max_seq_len, acfg.max_seq_len):
        raise SystemExit(f'--prompt_len {a.prompt_len} + --max_new_tokens {a.max_new_tokens} do not fit the models\' max_seq_len')
    if a.task_items and a.reference:                                         # the reference's per-item scores, before the decode
        ref_items = json.load(open(a.reference))['metrics'].get('per_item', {})
        for name in a.reference_configs:
            if len((ref_items.get(name) or {}).get('em', [])) < a.task_items:
                raise SystemExit(f'{a.reference}: no per-item exact match of {name!r} for {a.task_items} items')
    from cascade.sampler import check_sampling
    try: check_sampling(a.temperature, a.top_p)
    except ValueError as e: raise SystemExit(f'--temperature/--top_p: {e}') from None
    dev = torch.device(a.device)
    if dev.type == 'cuda' and not torch.cuda.is_available(): raise SystemExit('no CUDA GPU here (--device cpu runs a smoke test)')
    torch.backends.cuda.matmul.allow_tf32 = False
    if a.threads: torch.set_num_threads(a.threads)
    if a.tokenizer:
        from transformers import AutoTokenizer
        tok = AutoTokenizer.from_pretrained(a.tokenizer)
    else: tok = load_tokenizer()
    val_prompts = lambda n, L: bench_val_prompts(n, L, a.val_tokens or None)
    t0 = time.time()
    out = dict()
    cfg = dict(vars(a), ar_weights='random (timing only)' if a.ar_random else 'the checkpoint', speed_dtype='bf16',
               prompts=f"evenly spaced windows of the val split of {a.val_tokens or 'data/sample'} (cascade.bench.val_prompts)",
               decoder='cascade.engine.VerifyEngine (fused draft and verify; output = greedy decode of the causal stream)' if a.temperature == 0 else
                       f'cascade.engine.VerifyEngine (fused draft and verify, speculative sampling at temperature {a.temperature}, top_p {a.top_p}: output distributed as the causal stream\'s sampler; the task and device checks stay greedy)')
    import hashlib
    for k, d in (('cc', a.cc), ('ar', a.ar)):                                # which weights ran, whatever folder they were read from
        f = Path(d) / 'manifest.json'
        cfg[f'{k}_manifest_sha256'] = hashlib.sha256(f.read_bytes()).hexdigest() if f.is_file() else None
    def save():                                                              # after each part: a run cut short keeps what it measured
        out['wall_s'] = time.time() - t0
        return write_result(a.out, make_result(Path(a.out).stem, 'verify_bench', cfg, out, seed=0, device=dev))
    # 1. graphs = eager on the device (float32)
    m32 = CascadeLM.from_pretrained(a.cc, device=dev, dtype=torch.float32).eval()
    n_chk = min(64, a.max_new_tokens)                                        # new tokens of the exactness checks
    pr = val_prompts(4, a.prompt_len)
    e1 = VerifyEngine(m32, 4, a.prompt_len, n_chk, graphs=dev.type == 'cuda', attn=a.attn).generate(pr)
    e0 = VerifyEngine(m32, 4, a.prompt_len, n_chk, graphs=False).generate(pr)        # the dense-mask eager engine: the reference
    same = all(e1[k] == e0[k] for k in ('tokens', 'steps', 'accepted', 'drafted'))
    out['graphs_equal_eager'] = same
    print(f'graph replay = eager (float32, batch 4, {n_chk} tokens): {same}', flush=True)
    if not same: raise SystemExit('graph replay differs from the eager engine')
    pr6 = val_prompts(6, a.prompt_len)                                       # continuous batching: 6 prompts through 4 rows
    m1 = VerifyEngine(m32, 4, a.prompt_len, n_chk, graphs=dev.type == 'cuda', attn=a.attn).generate_many(pr6)
    m0 = VerifyEngine(m32, 4, a.prompt_len, n_chk, graphs=False).generate_many(pr6)
    out['many_graphs_equal_eager'] = all(m1[k] == m0[k] for k in ('tokens', 'steps', 'accepted', 'drafted'))
    print(f"generate_many, graph replay = eager (float32, 6 prompts through 4 rows): {out['many_graphs_equal_eager']}", flush=True)
    if not out['many_graphs_equal_eager']: raise SystemExit('generate_many: graph replay differs from the eager engine')
    if dev.type == 'cuda' and a.compile:                                     # compiled kernels may round differently: reported, not required
        e2 = VerifyEngine(m32, 4, a.prompt_len, n_chk, compile=True, compile_step=a.compile_step, attn=a.attn).generate(pr)
        out['compiled_equal_eager'] = e2['tokens'] == e0['tokens']
        print(f"compiled = eager tokens (float32): {out['compiled_equal_eager']}", flush=True)
    if not a.ar_random:                                                     # the AR baseline's engine = its eager SDPA decode (float32)
        a32 = CascadeLM.from_pretrained(a.ar, device=dev, dtype=torch.float32).eval()
        r0 = AREngine(a32, 4, a.prompt_len, n_chk, graphs=False, attn='sdpa').generate(pr).tokens
        out['ar_engine_equal_eager'] = {}
        for attn in ('auto', 'flex', 'sdpa') if dev.type == 'cuda' else ('auto',):
            try: same_ar = AREngine(a32, 4, a.prompt_len, n_chk, graphs=dev.type == 'cuda', attn=attn).generate(pr).tokens == r0
            except Exception as e: same_ar = f'{type(e).__name__}: {e}'
            out['ar_engine_equal_eager'][attn] = same_ar
            print(f'AR engine (attn {attn}, graphs) = eager SDPA (float32, batch 4, {n_chk} tokens): {same_ar}', flush=True)
        del a32
        if out['ar_engine_equal_eager']['auto'] is not True: raise SystemExit("the AR engine (attn 'auto') differs from its eager SDPA decode")
    if a.temperature > 0:   # 1b. sampling on this device (graphs, float32): the first two tokens' marginals against the causal stream's sampler
        import copy                                                          # (exact, float64, by enumeration) on a random model with peaked outputs
        from cascade.config import CascadeConfig
        from cascade.sampler import chi2_pvalue, causal_marginals
        torch.manual_seed(11)
        sm = CascadeLM(CascadeConfig(vocab_size=64, d_model=32, n_layers=2, n_heads=4, block_size=4, max_seq_len=64, token_shift=True,
                                     clean_causal=True)).to(dev).eval()
        with torch.no_grad(): sm.head.weight.mul_(6)
        out['sampling_check'] = []
        for plen in (1, 2, 4):
            p0 = torch.randint(3, 64, (plen,)).tolist()
            m1_, m2_ = causal_marginals(copy.deepcopy(sm).double(), p0, a.temperature, a.top_p)
            o = VerifyEngine(sm, 4000, plen, 2, temperature=a.temperature, top_p=a.top_p).generate([p0] * 4000)
            t = torch.tensor(o['tokens'])
            chk = dict(prompt_len=plen, rows=4000, p_value_first=chi2_pvalue(torch.bincount(t[:, 0], minlength=64), m1_.cpu()),
                       p_value_second=chi2_pvalue(torch.bincount(t[:, 1], minlength=64), m2_.cpu()),
                       accept_rate=sum(o['accepted']) / max(1, sum(o['drafted'])))
            out['sampling_check'].append(chk)
            print(f"sampling check (graphs, prompt {plen}): p-values {chk['p_value_first']:.3g} / {chk['p_value_second']:.3g}, accepted {chk['accept_rate']:.2f}", flush=True)
        save()
        if min(min(c['p_value_first'], c['p_value_second']) for c in out['sampling_check']) < 1e-4:
            raise SystemExit('the sampled engine does not draw from the causal stream\'s distribution on this device')
    # 2. quality on the task
    if a.task_items:
        docs = [json.loads(l) for l in Path(a.task).read_text().splitlines()[:a.task_items]]
        mt = m32 if a.task_dtype == 'fp32' else CascadeLM.from_pretrained(a.cc, device=dev, dtype=torch.bfloat16).eval()
        t = task_run(mt, tok, docs, a.task_batch, 48, variants=a.variants)
        del mt
        if a.reference:
            t['reference'] = a.reference
            t['vs'] = {}
            for name in a.reference_configs:
                em = ref_items[name]['em'][:len(t['per_item'])]
                t['vs'][name] = paired_bootstrap(em, [p['em'] for p in t['per_item']])
                print(f"task vs {name}: {t['vs'][name]['verdict']} diff {t['vs'][name]['diff']:+.4f} CI {t['vs'][name]['ci']}", flush=True)
        print(f"task: EM {t['exact_match']:.4f}, {t['tokens_per_row_step']:.2f} tokens per row step "
              f"({t['tokens_per_row_step_after_first']:.2f} after the first), accepted {t['accept_rate']:.1%}, {t['wall_s']:.0f} s", flush=True)
        out['task'] = t
        save()
    del m32
    if dev.type == 'cuda': torch.cuda.empty_cache()
    # 3. speed, bf16, the benchmark's prompts
    step_c = None if a.compile_step is None else a.compile_step and dev.type == 'cuda'   # None: VerifyEngine's default (as compile)
    rows = []
    if a.batch_sizes or a.queue: cc = CascadeLM.from_pretrained(a.cc, device=dev, dtype=torch.bfloat16).eval()
    if (a.batch_sizes or a.queue) and a.ar_random:
        torch.manual_seed(0)
        ar = CascadeLM(_read_config(Path(a.ar))).to(dev, torch.bfloat16).eval()
    elif a.batch_sizes or a.queue: ar = CascadeLM.from_pretrained(a.ar, device=dev, dtype=torch.bfloat16).eval()
    prompts = val_prompts(max(max(a.batch_sizes, default=1), a.batch1_prompts, a.queue), a.prompt_len)
    for B in tqdm(a.batch_sizes, desc='bench'):
        ps = prompts[:B]
        base = None
        for name in ('AR', 'verify chunk 1', 'verify chunk 4'):
            samp = dict(temperature=a.temperature, top_p=a.top_p)
            if name == 'AR': eng = AREngine(ar, B, a.prompt_len, a.max_new_tokens, compile=a.compile and dev.type == 'cuda', attn=a.ar_attn, **samp)
            else: eng = VerifyEngine(cc, B, a.prompt_len, a.max_new_tokens, compile=a.compile and dev.type == 'cuda',
                                     compile_step=step_c, chunk=int(name[-1]), attn=a.attn, variants=a.variants, **samp)
            sets = [[p] for p in prompts[:a.batch1_prompts]] if B == 1 else [ps]   # batch 1: each of several prompts, timed apart
            per = [_time_all(lambda q=q: eng.generate(q), dev, a.repeats, 1) for q in sets]
            secs = [sorted(t)[len(t) // 2] for _, t in per]                 # each prompt's median over the repeats
            o, times = per[0]
            sec = sorted(secs)[len(secs) // 2]                               # and the median prompt
            used = sets[0]
            toks, nfe, pre = (o.tokens, o.nfe, o.nfe_prefill) if name == 'AR' else (o['tokens'], o['nfe'], o['nfe_prefill'])
            if len(sets) > 1:                                                # forwards of the median prompt's run
                k = secs.index(sec); o, times, used = per[k][0], per[k][1], sets[k]
                toks, nfe, pre = (o.tokens, o.nfe, o.nfe_prefill) if name == 'AR' else (o['tokens'], o['nfe'], o['nfe_prefill'])
            row = dict(method=name, batch=B, prompts_timed=len(sets), seconds_per_prompt=secs if len(sets) > 1 else None,
                       tokens_per_s=B * a.max_new_tokens / sec, seconds=sec, seconds_all=times, nfe=nfe,
                       forward_ms=sec / nfe * 1e3, tokens_per_forward=B * a.max_new_tokens / (nfe - pre) / B,
                       entropy=None if (name == 'AR' and a.ar_random) else unigram_entropy(toks))
            if name != 'AR':
                row.update(accept_rate=sum(o['accepted']) / max(sum(o['drafted']), 1), row_steps=o['steps'],
                           tokens_per_row_step=B * a.max_new_tokens / sum(o['steps']))
            if a.profile and dev.type == 'cuda':                             # one more generate of the prompts reported above
                row['profile'] = kernel_profile(lambda: eng.generate(used), nfe)
                print(f"  {row['profile']['kernels_per_forward']:.0f} kernels / {row['profile']['kernel_us_per_forward']:.0f} us per forward", flush=True)
            base = row['tokens_per_s'] if name == 'AR' else base
            row['speedup_vs_ar'] = row['tokens_per_s'] / base
            if B == a.judge_at:
                row['gen_ppl_ar_judge'] = judge_ppl(ar, used, [t[:a.max_new_tokens] for t in toks])
                row['samples'] = [t[:a.max_new_tokens] for t in toks[:4]]
            rows.append(row); out['rows'] = rows; save()
            print(f"{name:16s} batch {B:3d}  {row['tokens_per_s']:9.0f} tok/s  x{row['speedup_vs_ar']:.2f}  fwd {row['forward_ms']:.3f} ms  "
                  f"{row['tokens_per_forward']:.2f} tok/fwd  entropy {float('nan') if row['entropy'] is None else row['entropy']:.2f}"
                  + (f"  judge PPL {row['gen_ppl_ar_judge']:.2f}" if 'gen_ppl_ar_judge' in row else ''), flush=True)
            del eng
            if dev.type == 'cuda': torch.cuda.empty_cache()
    out['rows'] = rows
    if a.queue:                                                              # 4. a queue: batches of AR vs continuous batching
        N, qs, med = a.queue, prompts[:a.queue], (lambda t: sorted(t)[len(t) // 2])
        out['queues'] = []
        for B in a.queue_batch:
            batches = [qs[i:i + B] for i in range(0, N, B)]
            batches[-1] = batches[-1] + (qs * B)[:B - len(batches[-1])]      # AR's last batch padded (its tokens/s counts N prompts)
            are = AREngine(ar, B, a.prompt_len, a.max_new_tokens, compile=a.compile and dev.type == 'cuda', attn=a.ar_attn, temperature=a.temperature, top_p=a.top_p)
            _, t_ar = _time_all(lambda: [are.generate(b) for b in batches], dev, a.repeats, 1)
            del are
            for mr, ra in [(m, r) for m in a.max_refill for r in a.refill_at]:
                ve = VerifyEngine(cc, B, a.prompt_len, a.max_new_tokens, compile=a.compile and dev.type == 'cuda', compile_step=step_c,
                                  attn=a.attn, variants=a.variants, max_refill=mr or None, temperature=a.temperature, top_p=a.top_p)
                ra = ra or min(ve.max_refill, max(1, B // 8))                # generate_many's default, recorded
                o, t_v = _time_all(lambda: ve.generate_many(qs, refill_at=ra), dev, a.repeats, 1)
                q = dict(prompts=N, batch=B, max_refill=ve.max_refill, refill_at=ra, ar_tokens_per_s=N * a.max_new_tokens / med(t_ar),
                         ar_seconds_all=t_ar, verify_tokens_per_s=N * a.max_new_tokens / med(t_v), verify_seconds_all=t_v, verify_nfe=o['nfe'],
                         verify_refill_forwards=o['refill_forwards'], verify_rows_refilled=o['rows_refilled'],
                         ar_nfe=len(batches) * a.max_new_tokens, tokens_per_row_step=N * a.max_new_tokens / sum(o['steps']))
                q['speedup_vs_ar'] = q['verify_tokens_per_s'] / q['ar_tokens_per_s']
                out['queues'].append(q); out['queue'] = out['queues'][0]; save()
                print(f"queue of {N} through {B} rows, max_refill {ve.max_refill}, refill_at {ra}: AR {q['ar_tokens_per_s']:.0f} tok/s, verify "
                      f"{q['verify_tokens_per_s']:.0f} tok/s (x{q['speedup_vs_ar']:.2f}; {q['verify_nfe']} forwards, {q['verify_refill_forwards']} "
                      f"refills of {q['verify_rows_refilled']} rows, {q['tokens_per_row_step']:.2f} tokens per row step)", flush=True)
                del ve
                if dev.type == 'cuda': torch.cuda.empty_cache()
    path = save(); print(f'wrote {path}')

if __name__ == '__main__': main()
