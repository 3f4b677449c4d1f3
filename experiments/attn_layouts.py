"""Which formulation of the decode attention is cheapest at a model's shape (issue 15): one layer's attention of T
queries per row against a static K/V buffer of L slots, timed as a CUDA graph of `--layers` back-to-back calls (one
forward's worth), for every formulation below at every (batch, T). Session 21 found that at 64 rows the verify
forward's extra cost over AR's is 71-87% in this one kernel (results/verify_shapes_smollm2.json), that it does not
depend on how many queries the forward carries, and that AR's single-query call is 5x cheaper: this separates the mask's
shape, its dtype, the grouped-query layout and the kernel.

Formulations (q: (B, H, T, Dh); K, V: (B, Hkv, L, Dh); H = G Hkv; `mask` the verify step's structured (B, 1, T, L)
visibility, prefix slots < cur visible to all, the block and its noisy copies with their own pattern):
  add        the engine today: SDPA, additive bf16 mask (B, 1, T, L), enable_gqa
  bool       SDPA, boolean mask (B, 1, T, L), enable_gqa
  rowmask    SDPA, one boolean row (B, 1, 1, L) for every query (AR's mask shape; NOT the verify semantics: a cost bound)
  nomask     SDPA, no mask (a cost bound: the flash kernel with enable_gqa)
  packed     queries of one key/value group stacked: q as (B, Hkv, G T, Dh), mask repeated to (B, 1, G T, L), no GQA flag
  packedadd  packed with the additive mask
  split      prefix keys (< cur, the same for every query) under the row mask by SDPA, the last W slots of the block and
             its copies by an explicit small matmul; merged by log-sum-exp (the efficient kernel's LSE)
  expand     K/V repeated to H heads (no grouping), additive mask
Each formulation's output is checked against `add` (the reference) before it is timed; a formulation that differs by
more than --tol (or does not run on this device) is reported with its error and not timed.

    python experiments/attn_layouts.py --out results/attn_layouts_smollm2.json                       # GPU (about 1 min)
    python experiments/attn_layouts.py --device cpu --batch_sizes 2 --T 1 5 --L 64 --out /tmp/al.json   # CPU check
"""
import argparse, json, math, sys, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

FORMS = ['add', 'bool', 'rowmask', 'nomask', 'packed', 'packedadd', 'split', 'expand']
EXACT = {'add', 'bool', 'packed', 'packedadd', 'split', 'expand'}   # the verify semantics; the others are cost bounds


def make_case(B:int, T:int, L:int, H:int, Hkv:int, Dh:int, dtype, device, seed:int=0, tail:int=8):
    """Random q, K, V and a verify-like mask: row b's prefix is its first cur[b] slots (cur random in [L/2, L - tail]);
    query t sees the prefix and, among the `tail` slots after it (the block and its copies' extra slots), a random pattern
    that always includes one slot (so no query row is empty)."""
    import torch
    g = torch.Generator(device='cpu').manual_seed(seed)
    q = torch.randn(B, H, T, Dh, generator=g).to(device, dtype)
    K = torch.randn(B, Hkv, L, Dh, generator=g).to(device, dtype)
    V = torch.randn(B, Hkv, L, Dh, generator=g).to(device, dtype)
    cur = torch.randint(L // 2, L - tail + 1, (B,), generator=g)
    keys = torch.arange(L)
    pre = keys[None, :] < cur[:, None]                                       # (B, L)
    pat = torch.rand(B, T, tail, generator=g) < 0.5
    pat[:, :, 0] = True
    tailm = torch.zeros(B, T, L, dtype=torch.bool)
    for b in range(B): tailm[b, :, cur[b]:cur[b] + tail] = pat[b]
    mask = (pre[:, None, :] | tailm)[:, None]                                # (B, 1, T, L)
    return q, K, V, mask.to(device), pre[:, None, None].to(device), cur.to(device), tail


def forms(q, K, V, mask, pre, cur, tail):
    "Each formulation as a closure of no arguments (its constant inputs prepared here, outside the timed region)."
    import torch, torch.nn.functional as F
    B, H, T, Dh = q.shape
    Hkv, L = K.shape[1], K.shape[2]
    G = H // Hkv
    add = torch.zeros(mask.shape, dtype=q.dtype, device=q.device).masked_fill_(~mask, float('-inf'))
    pmask = mask.expand(B, G, T, L).reshape(B, 1, G * T, L)                  # packed query row g T + t: query head kv G + g, t
    padd = torch.zeros(pmask.shape, dtype=q.dtype, device=q.device).masked_fill_(~pmask, float('-inf'))
    radd = torch.zeros(pre.shape, dtype=q.dtype, device=q.device).masked_fill_(~pre, float('-inf'))
    pk = lambda x: x.reshape(B, Hkv, G * T, Dh)                              # (B, H, T, Dh) -> (B, Hkv, G T, Dh): heads kv G.. grouped
    un = lambda y: y.reshape(B, H, T, Dh)
    # split: the tail slots [cur, cur + tail) gathered per row, with their part of the mask
    tidx = (cur[:, None] + torch.arange(tail, device=q.device)).clamp(max=L - 1)   # (B, tail)
    tmask = mask[:, 0].gather(2, tidx[:, None, :].expand(B, T, tail))[:, None]   # (B, 1, T, tail)
    acc = torch.promote_types(q.dtype, torch.float32)                       # the tail's and the merge's precision
    tadd = torch.zeros(tmask.shape, dtype=acc, device=q.device).masked_fill_(~tmask, float('-inf'))
    scale = 1 / math.sqrt(Dh)

    def split():
        if q.is_cuda:   # the memory-efficient kernel returns its log-sum-exp (B, Hkv, >= G T), fp32
            o1, lse1 = torch.ops.aten._scaled_dot_product_efficient_attention(pk(q), K, V, radd.expand(B, Hkv, G * T, L), True)[:2]
            o1, lse1 = un(o1), lse1[..., :G * T].reshape(B, H, T)
        else:           # the same quantities written out (the CPU has no such kernel): checks the merge
            s1 = (q @ K.repeat_interleave(G, 1).transpose(-1, -2)) * scale + radd
            lse1 = s1.logsumexp(-1); o1 = s1.softmax(-1) @ V.repeat_interleave(G, 1)
        kt = K.gather(2, tidx[:, None, :, None].expand(B, Hkv, tail, Dh)).repeat_interleave(G, 1)   # (B, H, tail, Dh)
        vt = V.gather(2, tidx[:, None, :, None].expand(B, Hkv, tail, Dh)).repeat_interleave(G, 1)
        s2 = (q.to(acc) @ kt.to(acc).transpose(-1, -2)) * scale + tadd      # (B, H, T, tail)
        lse2 = s2.logsumexp(-1)
        o2 = s2.softmax(-1) @ vt.to(acc)
        lse = torch.logaddexp(lse1, lse2)
        return (o1.to(acc) * (lse1 - lse).exp()[..., None] + o2 * (lse2 - lse).exp()[..., None]).to(q.dtype)

    return dict(
        add=lambda: F.scaled_dot_product_attention(q, K, V, attn_mask=add, enable_gqa=True),
        bool=lambda: F.scaled_dot_product_attention(q, K, V, attn_mask=mask, enable_gqa=True),
        rowmask=lambda: F.scaled_dot_product_attention(q, K, V, attn_mask=pre, enable_gqa=True),
        nomask=lambda: F.scaled_dot_product_attention(q, K, V, enable_gqa=True),
        packed=lambda: un(F.scaled_dot_product_attention(pk(q), K, V, attn_mask=pmask)),
        packedadd=lambda: un(F.scaled_dot_product_attention(pk(q), K, V, attn_mask=padd)),
        split=split,
        expand=lambda: F.scaled_dot_product_attention(q, K.repeat_interleave(G, 1), V.repeat_interleave(G, 1), attn_mask=add))


def time_graph(fn, layers:int, iters:int, device) -> float:
    "µs per forward (`layers` calls) of `fn` captured in one CUDA graph; on the CPU, eager wall time."
    import torch
    if device.type != 'cuda':
        t = time.perf_counter()
        for _ in range(iters * layers): fn()
        return (time.perf_counter() - t) / iters * 1e6
    s = torch.cuda.Stream(); s.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(s):
        for _ in range(3): fn()
    torch.cuda.current_stream().wait_stream(s)
    g = torch.cuda.CUDAGraph()
    with torch.cuda.graph(g):
        for _ in range(layers): fn()
    for _ in range(3): g.replay()
    torch.cuda.synchronize()
    e0, e1 = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    e0.record()
    for _ in range(iters): g.replay()
    e1.record(); torch.cuda.synchronize()
    return e0.elapsed_time(e1) / iters * 1e3


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--heads', type=int, nargs=3, default=[9, 3, 64], metavar=('H', 'HKV', 'DH'), help="SmolLM2-135M's")
    ap.add_argument('--layers', type=int, default=30)
    ap.add_argument('--batch_sizes', type=int, nargs='+', default=[1, 16, 64])
    ap.add_argument('--T', type=int, nargs='+', default=[1, 8, 20], help='queries per row: AR 1, verify V=1 8, V=4 20 (block 4)')
    ap.add_argument('--L', type=int, nargs='+', default=[400, 1040], help='K/V slots (prompt 128 + 256 new + copies; the full context)')
    ap.add_argument('--forms', nargs='+', default=FORMS, choices=FORMS)
    ap.add_argument('--iters', type=int, default=50)
    ap.add_argument('--tol', type=float, default=None, help='max |out - add| allowed (default 2e-2 bf16, 1e-9 fp64)')
    ap.add_argument('--device', default='cuda')
    ap.add_argument('--out', required=True)
    a = ap.parse_args(argv)
    H, Hkv, Dh = a.heads
    if H % Hkv or min(a.batch_sizes + a.T + a.L + [a.layers, a.iters]) < 1: raise SystemExit('need H % Hkv == 0 and positive sizes')
    if min(a.L) < 16: raise SystemExit('--L must be >= 16 (a prefix and an 8-slot tail)')
    import torch
    from tqdm import tqdm
    from cascade.results import make_result, write_result
    dev = torch.device(a.device)
    if dev.type == 'cuda' and not torch.cuda.is_available(): raise SystemExit('--device cuda but CUDA is not available')
    dtype = torch.bfloat16 if dev.type == 'cuda' else torch.float64
    tol = a.tol if a.tol is not None else (2e-2 if dtype == torch.bfloat16 else 1e-9)
    rows, t0 = [], time.time()
    grid = [(B, T, L) for L in a.L for B in a.batch_sizes for T in a.T]
    for B, T, L in tqdm(grid, desc='shapes'):
        case = make_case(B, T, L, H, Hkv, Dh, dtype, dev, seed=B * 1000 + T * 10 + L)
        fs = forms(*case)
        with torch.no_grad():
            ref = fs['add']().float()
            row = dict(batch=B, T=T, L=L, us={}, max_err={}, errors={})
            for name in a.forms:
                try:
                    out = fs[name]().float()
                    if name in EXACT:
                        err = (out - ref).abs().max().item(); row['max_err'][name] = err
                        if not err <= tol: row['errors'][name] = f'max |out - add| = {err:.3g} > {tol:g}'; continue
                    row['us'][name] = time_graph(fs[name], a.layers, a.iters, dev)
                except Exception as e:   # a kernel this device or dtype does not have: reported, not timed
                    row['errors'][name] = f'{type(e).__name__}: {str(e)[:300]}'
        base = row['us'].get('add')
        row['x_add'] = {k: v / base for k, v in row['us'].items()} if base else {}
        rows.append(row)
        print(json.dumps({k: row[k] for k in ('batch', 'T', 'L')}), {k: round(v, 1) for k, v in row['us'].items()},
              row['errors'] or '', flush=True)
    cfg = dict(heads=H, kv_heads=Hkv, head_dim=Dh, layers=a.layers, batch_sizes=a.batch_sizes, T=a.T, L=a.L, forms=a.forms,
               iters=a.iters, tol=tol, dtype=str(dtype).replace('torch.', ''))
    res = make_result(Path(a.out).stem, 'attn_layouts', cfg, dict(rows=rows, wall_s=time.time() - t0), seed=0,
                      command='experiments/attn_layouts.py ' + ' '.join(argv if argv is not None else sys.argv[1:]), device=dev)
    write_result(a.out, res)
    print('wrote', a.out)


if __name__ == '__main__':
    main()
