#!/usr/bin/env bash
# A GPU pilot of the distilled-drafts recipe at nano scale (issue 12): three 5M-token conversions of the nano AR
# (checkpoints/train_ar) to clean-causal block 4 - the distilled recipe (_m0.3-0.8_kd3), plus suffix masks (_kd3_sfx),
# plus suffix masks and distilled drafts (_kd3_dkd3_sfx) - each's likelihood ratios (experiments/convert_nano.py) and the
# tokens per row step of its draft-and-verify decode (experiments/verify_accept.py). The teacher (58 MB) and the tokens do
# not fit one device call beside the tree, so `prepare` (here) splits them into two carries and the device runs two calls:
#   bash experiments/nano_dkd_pilot.sh prepare                                  # -> .carry/nano_a (43 MB), .carry/nano_b (33 MB)
#   call 1, carry [".carry/nano_a"]:            bash experiments/nano_dkd_pilot.sh keep
#   call 2, carry [".carry/nano_b", ".whl_f"]:  bash experiments/nano_dkd_pilot.sh run      (about 150 s on an H100)
#   (or `bash experiments/nano_dkd_pilot.sh all` on one GPU machine: all of it, merges included; NANO_DIR: the work folder)
#   then:  python experiments/convert_nano.py --merge <the cn_*.json> --out results/convert_nano_dkd_pilot.json
#          python experiments/verify_accept.py --merge <the va_*.json> --out results/verify_accept_nano_dkd_pilot.json
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-"b4_ts_lr5e-4_5M_m0.3-0.8_kd3 b4_ts_lr5e-4_5M_kd3_dkd3_sfx b4_ts_lr5e-4_5M_kd3_sfx"}
W=${NANO_DIR:-/root/nano}   # where the teacher, the tokens and the converted models live between the calls
case "${1:-}" in
  prepare)   # the teacher's shards in two parts; the train split cut at the last document end before 6M tokens
    rm -rf .carry/nano_a .carry/nano_b && mkdir -p .carry/nano_a .carry/nano_b/teacher
    for f in checkpoints/train_ar/*; do case $(basename "$f") in model-00004*|model-00005*) cp "$f" .carry/nano_b/teacher/;; *) cp "$f" .carry/nano_a/;; esac; done
    python - <<'PY'
import hashlib, json, shutil
from pathlib import Path
import numpy as np
src, out, n = Path('data/build/tokens'), Path('.carry/nano_b/tokens'), 6_000_000
out.mkdir(parents=True, exist_ok=True)
idx = json.loads((src / 'index.json').read_text())
a = np.fromfile(src / 'train_000.bin', dtype=np.uint16)[:n]
a = a[:int(np.nonzero(a == idx['eos_id'])[0][-1]) + 1]                       # whole documents only
a.tofile(out / 'train_000.bin')
sh = dict(file='train_000.bin', n_tokens=int(len(a)), n_docs=int((a == idx['eos_id']).sum()), sha256=hashlib.sha256(a.tobytes()).hexdigest())
for sp in ('val', 'test'):
    for s in idx['splits'][sp]['shards']: shutil.copy(src / s['file'], out / s['file'])
idx['splits']['train'] = dict(n_tokens=sh['n_tokens'], shards=[sh], complete=False, n_shards_total=len(idx['splits']['train']['shards']))
idx['subset'] = dict(of=str(src), split='train', first_tokens=sh['n_tokens'], note='train_000.bin cut at the last document end before 6M tokens')
(out / 'index.json').write_text(json.dumps(idx, indent=1)); shutil.copy(src / 'stats.json', out / 'stats.json')
print('train tokens', sh)
PY
    du -sh .carry/nano_a .carry/nano_b ;;
  keep) mkdir -p $W/teacher && cp .carry/nano_a/* $W/teacher/ ;;
  run)
    cp .carry/nano_b/teacher/* $W/teacher/ && cp -r .carry/nano_b/tokens $W/
    if ls .whl_f/*.whl >/dev/null 2>&1; then python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/site .whl_f/*.whl; fi   # a device's missing fastcore
    export PYTHONPATH=/tmp/site:. PYTHONUNBUFFERED=1
    D=${OUT:-results}
    for r in $RUNS; do
      python3 experiments/convert_nano.py --teacher $W/teacher --data $W/tokens --runs $r --keep $W/keep \
        --val_windows 32 --eval_draws 2 --out $D/cn_$r.json 2>&1 | grep -E '^\{|wrote|Error|error' | cut -c1-900
      python3 experiments/verify_accept.py --models $W/keep/$r --prompts 64 --batch 32 --max_new_tokens 128 \
        --val_tokens $W/tokens --out $D/va_$r.json 2>&1 | grep -E 'tokens per row|Error|error'
    done ;;
  all)   # one machine without the carry limit (./repro.sh --profile gpu --stage nano_dkd_pilot): the three steps, then the merges
    D=${OUT:-runs/nano_dkd_pilot}; mkdir -p "$D"
    bash "$0" prepare && bash "$0" keep && OUT="$D" bash "$0" run
    python3 experiments/convert_nano.py --merge $(for r in $RUNS; do echo "$D/cn_$r.json"; done) --out results/convert_nano_dkd_pilot.json
    python3 experiments/verify_accept.py --merge $(for r in $RUNS; do echo "$D/va_$r.json"; done) --out results/verify_accept_nano_dkd_pilot.json ;;
  *) echo "usage: $0 prepare|keep|run|all" >&2; exit 2 ;;
esac
