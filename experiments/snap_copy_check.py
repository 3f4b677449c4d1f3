"""Does a device-to-host snapshot overlap with the GPU work queued before it? (LOG, session 25: `AREngine.stream` at
c167a3a copied a strided slice of `seq` into pinned memory, which PyTorch routes through a pageable temporary: a blocking
copy, found by reading the source.) On a CUDA machine, ~10 s:

    python experiments/snap_copy_check.py --out results/snap_copy_check_gpu.json

1. Copy kinds behind ~0.1 s of queued GPU work (`torch.cuda._sleep`): a strided slice into a pinned slice (the old
   snapshot) and a whole contiguous buffer into a whole pinned one (the fix); for each, how long `copy_` held the host
   and how much GPU work was left when it returned (overlap: the host is released at once, the GPU still busy).
2. `AREngine.stream` itself (random weights): after each event is handed over, how much GPU time is still queued
   (overlap: the next replay runs while the host checks the event)."""
import argparse, sys, time
from pathlib import Path
import torch
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

def copy_timing(f, reps=3, cycles=200_000_000):
    out = []
    for _ in range(reps):
        torch.cuda.synchronize(); torch.cuda._sleep(cycles)                    # GPU work queued ahead of the copy
        t = time.perf_counter(); f(); held = time.perf_counter() - t
        t = time.perf_counter(); torch.cuda.synchronize(); left = time.perf_counter() - t
        out.append(dict(host_held_ms=held * 1e3, gpu_left_ms=left * 1e3))
    return out

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--out', default='results/snap_copy_check_gpu.json')
    a = ap.parse_args(argv)
    if not torch.cuda.is_available(): raise SystemExit('snap_copy_check: needs a CUDA device')
    from cascade.model import CascadeLM
    from cascade.config import CascadeConfig
    from cascade.engine import AREngine
    from cascade.results import make_result, write_result
    B, W, w = 64, 200, 120
    seq = torch.randint(0, 100, (B, W + 1), device='cuda')
    part, whole = torch.empty((B, W), dtype=torch.long, pin_memory=True), torch.empty((B, W + 1), dtype=torch.long, pin_memory=True)
    copies = dict(strided_slice=copy_timing(lambda: part[:, :w].copy_(seq[:, :w], non_blocking=True)),
                  whole_buffer=copy_timing(lambda: whole.copy_(seq, non_blocking=True)))
    torch.cuda.synchronize()
    exact = dict(strided_slice=torch.equal(part[:, :w], seq[:, :w].cpu()), whole_buffer=torch.equal(whole, seq.cpu()))
    torch.manual_seed(0)
    m = CascadeLM(CascadeConfig(vocab_size=512, d_model=256, n_layers=8, n_heads=4, block_size=1, max_seq_len=512)).cuda().eval()
    eng = AREngine(m, 64, 32, 256, stop_at_eos=False, chunk=16)
    ps = [[5 + i] * 32 for i in range(64)]
    ref = eng.generate(ps); torch.cuda.synchronize()
    s = eng.stream(ps); next(s); left = []
    for ev in s:
        t = time.perf_counter(); torch.cuda.synchronize(); left.append((time.perf_counter() - t) * 1e3)
    same = [t for t in ev.tokens] == ref.tokens
    for k, v in copies.items(): print(f"{k:14s} host held {[round(x['host_held_ms'], 1) for x in v]} ms, GPU left {[round(x['gpu_left_ms'], 1) for x in v]} ms, exact {exact[k]}")
    print('AREngine.stream: GPU ms still queued after each event:', [round(x, 2) for x in left], ' tokens = generate:', same)
    metrics = dict(copies=copies, copies_exact=exact, stream_gpu_left_ms=left, stream_tokens_equal_generate=same)
    cfg = dict(batch=B, width=W, slice=w, sleep_cycles=200_000_000, engine=dict(d_model=256, n_layers=8, batch=64, prompt=32, new=256, chunk=16))
    print('wrote', write_result(Path(a.out), make_result(Path(a.out).stem, 'bench', cfg, metrics, seed=0, command='python experiments/snap_copy_check.py ' + ' '.join(argv or sys.argv[1:]))))

if __name__ == '__main__':
    main()
