"""The verify engine's forward cost at a pretrained model's shape, with random weights (issue 15): for each number of
noisy copies per step (`VerifyEngine(variants=V)`), `experiments/verify_bench.py` with `--ar_random` and a clean-causal
model of the same shape whose weights are random too, at batch 1/16/64, bf16, graphs + compile, and a kernel profile
per row (`--profile`: kernels and device time per forward, the top kernels).

The cost of a forward does not depend on the weights, so this measures what the engine costs at that shape without
carrying the model (the converted SmolLM2 is 540 MB). What random weights cannot give: tokens per forward (random drafts
are rarely accepted, so the verify rows commit about one token per forward). Pair the forward times with a real run's
tokens per forward (`results/verify_bench_smollm2_<tag>.json`) to read a speed.

    python experiments/verify_shapes.py --shape smollm2 --variants 4 2 1 --out results/verify_shapes_smollm2.json   # GPU
    python experiments/verify_shapes.py --shape tiny --variants 2 --device cpu --repeats 1 --out /tmp/vs.json        # CPU smoke

Each variants run's own result (`experiments/verify_bench.py`'s) is kept next to --out as `<stem>_v<V>.json`, and --out is
rewritten after each one, so a run cut short keeps what it measured. `--merge 4=FILE 1=FILE ...` rebuilds --out from such
per-variant files (of one device) without measuring: the provenance's device, torch, CUDA and git SHA are theirs, and
`provenance.merged` says when and by which command the summary was made.
"""
import argparse, hashlib, json, shutil, sys, tempfile, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))

# Shapes by name: SmolLM2-135M as convert_llama maps it (hidden 576, 30 layers, 9 query and 3 key/value heads, SwiGLU 1536,
# RoPE base 1e5, tied embeddings, its 49,152-token vocabulary, the conversion's 1,024-token context), block 4.
SHAPES = dict(
    smollm2=dict(vocab_size=49152, d_model=576, n_layers=30, n_heads=9, n_kv_heads=3, d_ff=1536, rope_base=100000.0,
                 max_seq_len=1024, block_size=4, pad_id=1, eos_id=2, mask_id=0),
    tiny=dict(vocab_size=8192, d_model=64, n_layers=2, n_heads=4, n_kv_heads=2, d_ff=128, max_seq_len=512, block_size=4))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--shape', default='smollm2', choices=sorted(SHAPES))
    ap.add_argument('--variants', type=int, nargs='+', default=[4, 2, 1])
    ap.add_argument('--batch_sizes', type=int, nargs='+', default=[1, 16, 64])
    ap.add_argument('--repeats', type=int, default=2)
    ap.add_argument('--prompt_len', type=int, default=128)
    ap.add_argument('--max_new_tokens', type=int, default=256)
    ap.add_argument('--profile', action=argparse.BooleanOptionalAction, default=True)
    ap.add_argument('--attn', default='auto', choices=('auto', 'sdpa', 'flex', 'packed'), help="the verify engine's attention (verify_bench --attn)")
    ap.add_argument('--ar_attn', default='auto', choices=('auto', 'sdpa', 'flex', 'packed'), help="the AR engine's (verify_bench --ar_attn)")
    ap.add_argument('--device', default='cuda')
    ap.add_argument('--merge', nargs='+', default=[], metavar='V=FILE',
                    help='build --out from per-variant verify_bench results of one device instead of measuring')
    ap.add_argument('--out', required=True)
    a = ap.parse_args(argv)
    shape = SHAPES[a.shape]
    merge = {}
    for m in a.merge:                                                        # every input checked before any work
        v, eq, f = m.partition('=')
        if not eq or not v.isdigit() or not Path(f).is_file(): raise SystemExit(f'--merge {m!r}: expected V=FILE with an existing file')
        merge[int(v)] = Path(f)
    if merge: a.variants = list(merge)
    bad = [v for v in a.variants if not 1 <= v <= shape['block_size']]
    if bad: raise SystemExit(f'--variants {bad}: each must be in [1, block_size {shape["block_size"]}]')
    if min(a.batch_sizes) < 1 or a.repeats < 1: raise SystemExit('--batch_sizes and --repeats must be >= 1')
    import torch
    from cascade.config import CascadeConfig
    from cascade.model import CascadeLM
    from cascade.results import make_result, write_result
    import verify_bench
    t0 = time.time()
    rows, files = [], {}
    cfg = dict(vars(a), model_shape=shape, weights='random (bf16): forward cost only; tokens per forward are not the model\'s',
               per_variant_checks=files, command_each='experiments/verify_bench.py --ar_random --profile (one run per --variants)')
    def save():                                                              # after each variants run: a run cut short keeps what it measured
        return write_result(a.out, make_result(Path(a.out).stem, 'verify_shapes', cfg, dict(rows=rows, wall_s=time.time() - t0),
                                               seed=0, device=torch.device(a.device)))
    def collect(V, r):                                                       # one variants run's rows, each over its own run's AR
        files[V] = {k: r['metrics'].get(k) for k in ('graphs_equal_eager', 'many_graphs_equal_eager', 'compiled_equal_eager')}
        base = {row['batch']: row['forward_ms'] for row in r['metrics']['rows'] if row['method'] == 'AR'}
        for row in r['metrics']['rows']:
            if row['method'] != 'AR' and row['batch'] not in base: continue   # a cut-short run: no AR row of that batch
            rows.append(dict(row, variants=None if row['method'] == 'AR' else V, forward_vs_ar=row['forward_ms'] / base[row['batch']],
                             positions_per_row=1 if row['method'] == 'AR' else shape['block_size'] * (1 + V)))
    if merge:
        srcs = {V: json.loads(f.read_text()) for V, f in merge.items()}
        devs = {r['provenance'].get('device') for r in srcs.values()}
        if len(devs) != 1: raise SystemExit(f'--merge: the files come from different devices {sorted(map(str, devs))}')
        for V, r in srcs.items():
            got = (r.get('config') or {}).get('variants')
            if got is not None and int(got) != V: raise SystemExit(f'--merge {V}={merge[V]}: that file was measured with variants {got}')
            collect(V, r)
        cfg['merged_from'] = {V: dict(file=merge[V].name, sha256=hashlib.sha256(merge[V].read_bytes()).hexdigest(),
                                      rows=len(r['metrics']['rows'])) for V, r in srcs.items()}
        first = next(iter(srcs.values()))['provenance']
        res = make_result(Path(a.out).stem, 'verify_shapes', cfg, dict(rows=rows, wall_s=sum(r['metrics'].get('wall_s') or 0 for r in srcs.values())),
                          seed=0, command='python experiments/verify_shapes.py ' + ' '.join(sys.argv[1:] if argv is None else argv))
        merged = dict(time_utc=res['provenance'].get('time_utc'), command=res['provenance'].get('command'), git_sha=res['provenance'].get('git_sha'))
        res['provenance'].update({k: first.get(k) for k in ('device', 'cuda', 'torch', 'git_sha', 'git_dirty', 'git_source', 'time_utc', 'python', 'platform') if k in first},
                                 merged=merged)
        print(f"wrote {write_result(a.out, res)}")
        return
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        torch.manual_seed(0)
        cc = CascadeLM(CascadeConfig(**shape, token_shift=True, clean_causal=True))
        cc.save_pretrained(Path(tmp) / 'cc', dtype=torch.bfloat16)
        del cc
        ar_cfg = CascadeConfig(**{**shape, 'block_size': 1})                 # the AR baseline: block 1, unshifted, random weights
        (Path(tmp) / 'ar').mkdir()
        ar_cfg.save(Path(tmp) / 'ar' / 'config.json')
        for V in a.variants:
            f = Path(tmp) / f'v{V}.json'
            verify_bench.main(['--cc', str(Path(tmp) / 'cc'), '--ar', str(Path(tmp) / 'ar'), '--ar_random', '--task_items', '0',
                               '--batch_sizes', *map(str, a.batch_sizes), '--repeats', str(a.repeats), '--batch1_prompts', '2',
                               '--prompt_len', str(a.prompt_len), '--max_new_tokens', str(a.max_new_tokens), '--variants', str(V),
                               '--attn', a.attn, '--ar_attn', a.ar_attn, '--device', a.device, '--out', str(f)] + (['--profile'] if a.profile else [])
                              + ([] if a.device == 'cuda' else ['--no-compile']))
            shutil.copy(f, Path(a.out).with_name(f'{Path(a.out).stem}_v{V}.json'))   # kept: the run may be cut short
            collect(V, json.loads(f.read_text()))
            path = save()
    for row in rows:
        p = row.get('profile') or {}
        print(f"{row['method']:16s} V={row['variants']!s:4s} batch {row['batch']:3d}  fwd {row['forward_ms']:.3f} ms  x{row['forward_vs_ar']:.2f} AR's"
              + (f"  {p['kernels_per_forward']:.0f} kernels, {p['kernel_us_per_forward']:.0f} us" if p else ''))
    print(f'wrote {path}')


if __name__ == '__main__': main()
