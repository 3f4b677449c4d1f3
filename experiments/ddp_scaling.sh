#!/usr/bin/env bash
# One GPU -> two (issue 16, part 1). The 151.8M-non-embedding-parameter CASCADE shape of repro.sh's `mfu` stage
# (d 1024, 12 layers, 16 heads, N 1024, block 16, vocab 8192, synthetic tokens; bf16 autocast, regional compile,
# FlexAttention), the same global batch (32 x 1024 tokens) and the same steps on
#   one          1 GPU                             (checkpoint after step RESUME_AT)
#   ddp          2 GPUs, torchrun, DDP
#   fsdp         2 GPUs, torchrun, FSDP2           (checkpoint after step RESUME_AT)
# then the checkpoints cross world sizes, each run from step RESUME_AT to the last step:
#   fsdp_to_1    fsdp's checkpoint resumed on 1 GPU
#   one_to_fsdp  one's checkpoint resumed on 2 GPUs under FSDP2
#   ddp_weak     2 GPUs, DDP, twice the global batch: each process has one's batch (weak scaling: what the halved
#                per-process batch of ddp costs, against what communication costs)
# DDP_SCALING_RUNS (comma separated, default all six) picks which runs this call does.
# and experiments/ddp_scaling.py summarises them into OUT/ddp_scaling.json: tokens/s and MFU of every run, the
# 2-GPU / 1-GPU tokens/s ratios, the loss differences to the 1-GPU run along the whole curve (and DDP vs FSDP, two
# 2-GPU runs, for scale), and the resumed runs' differences to the runs they continue. Per run: OUT/<run>/metrics.jsonl
# (every step), OUT/<run>.log, OUT/<run>.rc (exit code), OUT/results/<run>.json; all small. The runs themselves, with
# their checkpoints (1.9 GB each at the GPU shape), live in WORK (DDP_SCALING_WORK, default /tmp/ddp_scaling).
#
#   experiments/ddp_scaling.sh OUT                # a machine with 2 GPUs (device kind nvidia-h200-x2); sized for < 8 minutes
#   experiments/ddp_scaling.sh OUT --cpu_smoke    # the same runs on the CPU: gloo, a tiny model, bf16 autocast, no compile
#
# A run that fails, or outlives its time cap, is recorded and the next runs still go; runs are skipped once
# DDP_SCALING_BUDGET_S (default 480 s) is spent; the script exits 1 if any run did not finish. Runs already in OUT are redone.
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: experiments/ddp_scaling.sh OUT_DIR [--cpu_smoke]" >&2; exit 2; }
OUT="$(mkdir -p "$1" && cd "$1" && pwd)"                                  # absolute: the script works from the repo root
WORK="$(mkdir -p "${DDP_SCALING_WORK:-/tmp/ddp_scaling}" && cd "${DDP_SCALING_WORK:-/tmp/ddp_scaling}" && pwd)"
cd "$(dirname "$0")/.."
case "${2:-}" in
  "") SMOKE=0 ;;
  --cpu_smoke) SMOKE=1 ;;
  *) echo "ddp_scaling.sh: unknown argument $2 (usage: experiments/ddp_scaling.sh OUT_DIR [--cpu_smoke])" >&2; exit 2 ;;
esac

# The GPU machine: its system Python (torch preinstalled; cascade.train needs nothing else). Elsewhere: the project venv.
if [ ! -x .venv/bin/python ] && python3 -c "import torch" 2>/dev/null; then PY=python3
else source scripts/env.sh; set -euo pipefail; PY=python; fi
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONUNBUFFERED=1 NCCL_NVLS_ENABLE=0 TORCH_SYMM_MEM_DISABLE_MULTICAST=1 NVSHMEM_DISABLE_NVLS=1   # NVLink multicast off (README)
$PY -c "import cascade.train" || { echo "ddp_scaling.sh: cannot import cascade.train with $PY" >&2; exit 2; }

if [ "$SMOKE" = 1 ]; then
  STEPS=8; RESUME_AT=6; CAP=120; MODE=cpu_smoke
  SHAPE="--vocab_size 64 --d_model 32 --n_layers 2 --n_heads 4 --max_seq_len 32 --block_size 4"
  BATCH=8
  RECIPE="--synthetic_tokens 5000 --micro_batch_size 2 --lr 1e-2 --warmup_steps 2 --dtype bf16 --device cpu --threads 1"
  export OMP_NUM_THREADS=1
else
  [ "$($PY -c 'import torch; print(torch.cuda.device_count())')" -ge 2 ] || { echo "ddp_scaling.sh: needs 2 GPUs (or --cpu_smoke)" >&2; exit 2; }
  STEPS=100; RESUME_AT=90; CAP=180; MODE=gpu
  SHAPE="--vocab_size 8192 --d_model 1024 --n_layers 12 --n_heads 16 --max_seq_len 1024 --block_size 16 --attn_backend flex"
  BATCH=32
  RECIPE="--synthetic_tokens 4000000 --lr 1e-3 --warmup_steps 20 --dtype bf16 --compile"
fi
COMMON="--objective cascade --data synthetic $SHAPE $RECIPE --steps $STEPS --eval_every 0 --eval_batches 1 --no-save_final
        --seed 0 --no-progress --log_every 1 --keep_ckpts 0 --results_dir $OUT/results"
CK=$(printf 'ckpt/step_%08d' "$RESUME_AT")
ONE=(env CUDA_VISIBLE_DEVICES=0 "$PY" -m cascade.train)
TWO=("$PY" -m torch.distributed.run --standalone --nproc_per_node 2 -m cascade.train)

mkdir -p "$OUT/results"
T0=$(date +%s); BUDGET="${DDP_SCALING_BUDGET_S:-480}"; FAILED=0
run() {   # run NAME COMMAND...: a fresh WORK/NAME; its metrics.jsonl, log and exit code to OUT
  local name="$1"; shift
  local left=$(( BUDGET - ($(date +%s) - T0) )) rc=0 t
  rm -rf "${WORK:?}/$name" "${OUT:?}/$name" "$OUT/results/$name.json"
  if [ "$left" -le 30 ]; then
    echo "skipped: ${BUDGET}s budget spent" > "$OUT/$name.log"; echo skipped > "$OUT/$name.rc"; FAILED=1
    echo "[ddp_scaling] $name: skipped (budget spent)"; return 0
  fi
  local cap=$(( left < CAP ? left : CAP ))
  echo "[ddp_scaling] $name (cap ${cap}s): $*"
  t=$(date +%s)
  # shellcheck disable=SC2086
  timeout -k 15 "$cap" "$@" $COMMON --batch_size "${RUN_BATCH:-$BATCH}" --run_name "$name" --out_dir "$WORK/$name" > "$OUT/$name.log" 2>&1 || rc=$?
  echo "$rc" > "$OUT/$name.rc"
  if [ -f "$WORK/$name/metrics.jsonl" ]; then mkdir -p "$OUT/$name"; cp "$WORK/$name/metrics.jsonl" "$OUT/$name/"; fi
  echo "[ddp_scaling] $name: exit $rc after $(( $(date +%s) - t ))s"
  [ "$rc" = 0 ] || { FAILED=1; tail -n 25 "$OUT/$name.log"; }
}

ONLY=",${DDP_SCALING_RUNS:-one,ddp,fsdp,fsdp_to_1,one_to_fsdp,ddp_weak},"
want() { [[ "$ONLY" == *",$1,"* ]]; }
for r in ${ONLY//,/ }; do
  case "$r" in one|ddp|fsdp|fsdp_to_1|one_to_fsdp|ddp_weak) ;; *) echo "ddp_scaling.sh: unknown run $r in DDP_SCALING_RUNS" >&2; exit 2 ;; esac
done
want one && run one "${ONE[@]}" --ckpt_every "$RESUME_AT"
want ddp && run ddp "${TWO[@]}" --parallel ddp
want fsdp && run fsdp "${TWO[@]}" --parallel fsdp --ckpt_every "$RESUME_AT"
want fsdp_to_1 && run fsdp_to_1 "${ONE[@]}" --resume "$WORK/fsdp/$CK"
want one_to_fsdp && run one_to_fsdp "${TWO[@]}" --parallel fsdp --resume "$WORK/one/$CK"
want ddp_weak && RUN_BATCH=$(( 2 * BATCH )) run ddp_weak "${TWO[@]}" --parallel ddp

$PY experiments/ddp_scaling.py --out "$OUT" --mode "$MODE" --steps "$STEPS" --resume_at "$RESUME_AT"
echo "[ddp_scaling] done in $(( $(date +%s) - T0 ))s: $OUT/ddp_scaling.json"
exit "$FAILED"
