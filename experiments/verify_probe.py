"""Draft and verify on real text (issue 12): how many tokens per forward a clean-causal model's own drafts buy when its
causal stream checks them (`cascade.sampler.generate_verify`: the output is exactly the causal stream's greedy decode).

The first `--items` prompts of the code_line task (tasks/code_line/code_line.jsonl), each cut to its last
`--context` tokens (long prompts are slow on a CPU), decoded with the clean-causal cache (`PrefixKVCache`), until the first newline (at most 48 new tokens, as the task does). Per model: exact match of the line
(`cascade.quality.normalize_code`, as the task scores it), tokens up to and including the one that holds the newline
(tokens the last iteration commits past it are not counted), forwards, tokens per forward (2 forwards per iteration:
draft, verify), and the share of drafts accepted. Forward counts do not depend on the
hardware; the time a forward costs does, and is not measured here.

    python experiments/verify_probe.py --checkpoints checkpoints/convert_cc_b4 --items 64 --out results/verify_probe_cpu.json
"""
import argparse, hashlib, json, time
from pathlib import Path
import torch
from tqdm.auto import tqdm
from cascade.model import CascadeLM
from cascade.data import load_tokenizer
from cascade.sampler import generate_verify
from cascade.quality import normalize_code
from cascade.results import make_result, write_result

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--checkpoints', nargs='+', required=True, help='clean-causal model folders')
    ap.add_argument('--task', default='tasks/code_line/code_line.jsonl')
    ap.add_argument('--items', type=int, default=64)
    ap.add_argument('--context', type=int, default=128, help="prompt tokens kept (the last ones); at most the evaluation's room")
    ap.add_argument('--max_new_tokens', type=int, default=48)
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--out', default='results/verify_probe_cpu.json')
    a = ap.parse_args(argv)
    if a.items < 1 or a.context < 1 or a.max_new_tokens < 1: raise SystemExit('--items, --context and --max_new_tokens must be >= 1')
    for d in a.checkpoints:                                                 # every input checked before any work
        if not (Path(d) / 'config.json').is_file(): raise SystemExit(f'{d}: no saved model there')
        if not json.loads((Path(d) / 'config.json').read_text()).get('clean_causal'): raise SystemExit(f'{d} is not a clean-causal model')
    if not Path(a.task).is_file(): raise SystemExit(f'{a.task}: no task file')
    torch.set_num_threads(a.threads)
    tok = load_tokenizer()
    docs = [json.loads(l) for l in Path(a.task).read_text().splitlines()[:a.items]]
    rows, t0 = [], time.time()
    for d in a.checkpoints:
        model = CascadeLM.from_pretrained(d, dtype=torch.float32)
        if not model.cfg.clean_causal: raise SystemExit(f'{d} is not a clean-causal model')
        bs = model.cfg.block_size
        room = model.cfg.max_seq_len - -(-a.max_new_tokens // bs) * bs - bs    # the prompt room of cascade.evaluation's generate_until
        if room < 1: raise SystemExit(f'{d}: --max_new_tokens {a.max_new_tokens} leaves no prompt room in max_seq_len {model.cfg.max_seq_len}')
        per, t1 = [], time.time()
        for doc in tqdm(docs, desc=Path(d).name):
            ids = tok.encode(doc['prompt'], add_special_tokens=False)[-min(a.context, room):] or [model.cfg.eos_id]
            v = generate_verify(model, [ids], a.max_new_tokens, stop=lambda g: '\n' in tok.decode(g))
            g = v['tokens'][0]
            text = tok.decode(g).split('\n', 1)[0]
            n = next((k for k in range(1, len(g) + 1) if '\n' in tok.decode(g[:k])), len(g))   # tokens up to the stop: the last
            # iteration may commit tokens past the newline, which a decoder that stops there would not keep (nor count)
            per.append(dict(em=float(normalize_code(text) == normalize_code(doc['target'])), tokens=n, nfe=v['nfe'][0],
                            iterations=v['iterations'][0], accepted=v['accepted'][0], drafted=v['drafted'][0]))
        tot = lambda k: sum(p[k] for p in per)
        man = Path(d) / 'manifest.json'                                         # which weights ran, whatever folder held them
        rows.append(dict(model=str(d), manifest_sha256=hashlib.sha256(man.read_bytes()).hexdigest() if man.is_file() else None,
                         block_size=model.cfg.block_size, items=len(per), exact_match=tot('em') / len(per),
                         tokens=tot('tokens'), nfe=tot('nfe'), tokens_per_forward=tot('tokens') / tot('nfe'),
                         tokens_per_iteration=tot('tokens') / tot('iterations'), accept_rate=tot('accepted') / max(tot('drafted'), 1),
                         wall_s=time.time() - t1, per_item=per))
        print(json.dumps({k: v for k, v in rows[-1].items() if k != 'per_item'}), flush=True)
    cfg = dict(vars(a), decoder='cascade.sampler.generate_verify (draft with the noisy stream, verify with the causal stream; '
                                  'output = greedy decode of the causal stream)', stop='first newline or max_new_tokens')
    path = write_result(a.out, make_result(Path(a.out).stem, 'verify_probe', cfg, dict(rows=rows, wall_s=time.time() - t0), seed=0,
                                           device=torch.device('cpu')))
    print(f'wrote {path}')

if __name__ == '__main__': main()
