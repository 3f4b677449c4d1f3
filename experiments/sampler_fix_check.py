"""Before/after measurements of the issue-11 sampler fixes (CPU): the sampler of a given git revision against the
working tree's, on (1) the sampling-exactness test of nbs/05_sampler (a model whose output is a fixed table per block
offset, K = block_size, T = 1: worst |frequency - probability| in standard errors) and (2) the cost of top-p sampling
relative to greedy decoding (the committed CASCADE-B16 nano, 1 row, 64 new tokens, K = 16, one thread, best of 2).

    python experiments/sampler_fix_check.py --rev 6fd7b88
"""
import argparse, importlib.util, subprocess, sys, tempfile, time
from pathlib import Path
import torch
import cascade.sampler as new
from cascade.config import CascadeConfig
from cascade.model import CascadeLM

def sampler_at(rev:str):
    "cascade/sampler.py as of git revision `rev`, imported as a module (its relative imports point at today's package)."
    src = subprocess.run(['git', 'show', f'{rev}:cascade/sampler.py'], capture_output=True, text=True, check=True).stdout
    src = src.replace('from .config', 'from cascade.config').replace('from .model', 'from cascade.model').replace('from .cache', 'from cascade.cache')
    path = Path(tempfile.mkdtemp()) / f'sampler_{rev}.py'; path.write_text(src)
    spec = importlib.util.spec_from_file_location(path.stem, path); mod = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = mod                                       # dataclasses look their module up there
    spec.loader.exec_module(mod)
    return mod

class TableHead(torch.nn.Module):
    def __init__(self, table): super().__init__(); self.table = table
    def forward(self, h): return self.table.repeat(h.shape[1] // self.table.shape[0], 1).to(h.dtype).expand(h.shape[0], h.shape[1], -1)

def worst_se(S, n:int=3000) -> float:
    "The sampling-exactness test of nbs/05_sampler, run with sampler module `S`."
    cfg = CascadeConfig(vocab_size=8, d_model=16, n_layers=1, n_heads=2, block_size=4, max_seq_len=16)
    tab = torch.randn(4, 8, generator=torch.Generator().manual_seed(1)) * 1.5
    m = CascadeLM(cfg).eval(); m.head = TableHead(tab)
    p = tab.clone(); p[:, [cfg.mask_id, cfg.pad_id]] = float('-inf'); p = p.softmax(-1)
    toks = torch.tensor(S.generate(m, [[3, 4, 5, 6]] * n, S.SamplerConfig(max_new_tokens=4, k=4, temperature=1.0, stop_at_eos=False, seed=0)).tokens)
    f = torch.stack([torch.bincount(toks[:, o], minlength=8).float() / n for o in range(4)])
    se = (p * (1 - p) / n).sqrt()
    return ((f - p).abs() / se.clamp(min=1e-12))[p > 0].max().item()

def topp_over_greedy(S, model, prompts) -> float:
    t = {}
    for kind, kw in (('greedy', {}), ('top-p', dict(temperature=1.0, top_p=0.95))):
        sc = S.SamplerConfig(max_new_tokens=64, k=16, stop_at_eos=False, **kw)
        runs = []
        for _ in range(2):
            t0 = time.perf_counter(); S.generate(model, prompts, sc); runs.append(time.perf_counter() - t0)
        t[kind] = min(runs)
    return t['top-p'] / t['greedy']

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--rev', default='6fd7b88'); ap.add_argument('--checkpoint', default='checkpoints/train_cascade_b16')
    a = ap.parse_args()
    torch.set_num_threads(1)
    old = sampler_at(a.rev)
    from cascade.bench import val_prompts
    model = CascadeLM.from_pretrained(a.checkpoint, dtype=torch.float32)
    ps = val_prompts(1, 128)
    for name, S in ((a.rev, old), ('working tree', new)):
        print(f'{name:12s}: sampling test worst deviation {worst_se(S):6.1f} s.e. (bar 4.5); top-p / greedy time {topp_over_greedy(S, model, ps):.2f}x', flush=True)
