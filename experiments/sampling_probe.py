"""Probe (CPU): does sampling instead of greedy decoding close CASCADE's entropy gap to AR?

The H100 benchmark (results/throughput.json) decodes greedily and finds no CASCADE configuration at matched quality:
every method's samples have 3-5% less unigram entropy than AR's. This probe decodes the same held-out prompts with
the engines at a temperature, on the CPU (fp32, no graphs), and scores them like the judge stage (SmolLM2 gen-PPL,
unigram entropy). It writes results/probe_sampling_cpu.json. A lead for the GPU benchmark, not a speed measurement.

    python experiments/sampling_probe.py --temperature 0.8 --n_prompts 16 --max_new_tokens 128
"""
import argparse, time
import torch
from cascade.model import CascadeLM
from cascade.engine import AREngine, BlockEngine
from cascade.sampler import FixedK, ConfidenceThreshold
from cascade.bench import val_prompts, unigram_entropy
from cascade.data import load_tokenizer
from cascade.judge import TextJudge
from cascade.results import make_result, write_result

ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
ap.add_argument('--temperature', type=float, default=0.8)
ap.add_argument('--n_prompts', type=int, default=16)
ap.add_argument('--prompt_len', type=int, default=128)
ap.add_argument('--max_new_tokens', type=int, default=128)
ap.add_argument('--seed', type=int, default=0)
ap.add_argument('--threads', type=int, default=2)
ap.add_argument('--out', default='results/probe_sampling_cpu.json')
a = ap.parse_args()
torch.set_num_threads(a.threads)
t0 = time.time()
ck = 'checkpoints'
models = {k: CascadeLM.from_pretrained(f'{ck}/{d}', dtype=torch.float32).eval()
          for k, d in (('ar', 'train_ar'), ('b16', 'train_cascade_b16'), ('b4', 'train_cascade_b4'))}
prompts = val_prompts(a.n_prompts, a.prompt_len)
methods = [('AR', 'ar', None), ('CASCADE-B16 K=16', 'b16', FixedK(16)), ('CASCADE-B16 K=8', 'b16', FixedK(8)),
           ('CASCADE-B16 threshold 0.9', 'b16', ConfidenceThreshold(0.9)), ('CASCADE-B4 K=4', 'b4', FixedK(4))]
tok = load_tokenizer()
judge = TextJudge.smollm2(threads=a.threads)
ptxt = [tok.decode(p) for p in prompts]
rows = []
for temp in (0.0, a.temperature):
    for name, key, rule in methods:
        torch.manual_seed(a.seed)
        m, B = models[key], len(prompts)
        eng = (AREngine(m, B, a.prompt_len, a.max_new_tokens, temperature=temp) if rule is None
               else BlockEngine(m, B, a.prompt_len, a.max_new_tokens, rule, temperature=temp))
        out = eng.generate(prompts)
        sc = judge.score(ptxt, [tok.decode(t) for t in out.tokens], max_len=2048)
        rows.append(dict(method=name, temperature=temp, nfe_per_token=out.nfe / a.max_new_tokens, gen_ppl=sc['gen_ppl'],
                         judge_tokens=sc['n_tokens'], entropy=unigram_entropy(out.tokens)))
        print(f"T={temp:<4} {name:28s} NFE/token {rows[-1]['nfe_per_token']:.3f}  SmolLM2 gen-PPL {sc['gen_ppl']:7.2f}  entropy {rows[-1]['entropy']:.3f}", flush=True)
cfg = dict(vars(a), judge=judge.name, models=ck, prompts='evenly spaced windows of data/sample/val.bin')
print(write_result(a.out, make_result('probe_sampling_cpu', 'probe', cfg, dict(rows=rows, wall_s=time.time() - t0), seed=a.seed)))
