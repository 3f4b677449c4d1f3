#!/usr/bin/env bash
# ./repro.sh — regenerate the results, the figures and the paper.
#
#   ./repro.sh                     # the profile for this hardware (gpu if CUDA is visible, else cpu), all stages
#   ./repro.sh --stage NAME        # one stage (see --list); repeatable
#   ./repro.sh --force             # rerun stages whose results are up to date
#   ./repro.sh --profile cpu|gpu   # choose the profile
#   ./repro.sh --list              # list the stages of the profile
#
# A stage is skipped when its result files exist and were produced from the same inputs: the hash of the
# stage's name, the profile and the files it depends on (`deps`; repro.sh itself only where a stage lists it) is
# stored next to the results (results/.keys/<stage>). A changed command is not detected unless repro.sh is listed.
# CPU profile (a laptop or CI-class machine, <= 15 min after installation): tiny models on the committed data
# sample, the sampler and adaptive-K experiments, every figure and the paper, marked as CPU results.
# GPU profile (one H100): the real training runs and the throughput benchmark, then figures and paper.
# Logs go to runs/<stage>.log; executed experiment notebooks to runs/<stage>.ipynb.
set -euo pipefail
cd "$(dirname "$0")"

PROFILE=auto FORCE=0 LIST=0 STAGES=()
while [ $# -gt 0 ]; do
  case "$1" in
    --stage) STAGES+=("$2"); shift 2 ;;
    --force) FORCE=1; shift ;;
    --profile) PROFILE="$2"; shift 2 ;;
    --list) LIST=1; shift ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "repro.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

if [ "$PROFILE" = auto ]; then
  if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then PROFILE=gpu; else PROFILE=cpu; fi
fi

# The GPU machine has no package registry: there the system Python (torch preinstalled) runs the import-light
# library CLIs directly. Everywhere else the project's venv is created on first use.
if [ "$PROFILE" = gpu ] && [ ! -x .venv/bin/python ] && python3 -c "import torch" 2>/dev/null; then
  PY=python3; export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
  # Pure-Python packages that image lacks (fastcore: cascade.cache imports it; lm_eval and its needs: the eval stages)
  # come as the wheelhouse .whl/ that scripts/gpu_wheels.sh builds (README, "Running on a GPU machine"): all of it is
  # installed into a scratch folder, never into the system Python, once per set of wheels (the stamp names them).
  # The wheelhouse is .whl/, else .whl_eval/ (the same list built under that name: `scripts/gpu_wheels.sh .whl_eval`).
  _wd=.whl; ls .whl/*.whl >/dev/null 2>&1 || _wd=.whl_eval
  if ! python3 -c "import fastcore, lm_eval" 2>/dev/null && ls $_wd/*.whl >/dev/null 2>&1; then
    _whl="$(cd $_wd && sha256sum -- *.whl | sha256sum | cut -d' ' -f1)"
    if [ "$(cat /tmp/cascade_site/.cascade-wheels 2>/dev/null)" != "$_whl" ]; then
      echo "repro.sh: installing the wheelhouse $_wd/ ($(ls $_wd/*.whl | wc -l) wheels) into /tmp/cascade_site" >&2
      python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/cascade_site $_wd/*.whl
      echo "$_whl" > /tmp/cascade_site/.cascade-wheels
    fi
    export PYTHONPATH="/tmp/cascade_site:$PYTHONPATH"
  fi
  if ! python3 -c "import fastcore" 2>/dev/null; then
    echo "repro.sh: fastcore is missing here; carry the wheelhouse .whl/ (scripts/gpu_wheels.sh; see README)" >&2; exit 2; fi
  if ! python3 -c "import lm_eval" 2>/dev/null; then
    echo "repro.sh: note: lm_eval is missing here, so the stages eval_code and eval_judge will fail; carry the wheelhouse .whl/ (scripts/gpu_wheels.sh)" >&2; fi
else
  source scripts/env.sh; set -euo pipefail; PY=python
fi
mkdir -p runs results/.keys figures

# stage name | files it depends on | result files | command
CPU_STAGES=(smoke adaptive_k adaptive_real decode_cpu eval_code ablation_cpu report paper)
GPU_STAGES=(train_ar train_cascade_b16 train_cascade_b4 mfu engine_profile bench eval_code eval_judge eval_judge_score judge convert bench_converted judge_converted bench_converted_best judge_converted_best bench_twin eval_code_twin judge_twin convert_cc eval_code_cc verify_bench verify_sample_cc3 verify_step serve_latency convert_cc3 queue_cc3 task_cc3_bf16 serve_load serve_http convert_cc3_full convert_smollm2 smollm2_cc3 smollm2_kd3 smollm2_dkd3sfx smollm2_dkd3sfxhl0 smollm2_kd10dkd3sfxhl0 smollm2_kd10dkd3sfxhl0s1 verify_shapes_smollm2 verify_packed_smollm2 stop_cost pareto_b4_gpu row_advance_b4_gpu queue_b4_gpu per_request_b4_gpu nano_dkd_pilot adaptive_real_b4_gpu adaptive_real_b16_gpu ablation_blocks_a ablation_blocks_a2 ablation_blocks_b ablation_ingredients ablation_decode ablation_variance convert_plain scaling_a scaling_b report paper)

# The nano models of the paper (issue 6): same architecture, data order and token budget for all three;
# ~25.7M non-embedding parameters, context 1024, 6104 steps x 32 x 1024 = 200M tokens.
NANO="--data data/build/tokens --vocab_size 8192 --d_model 512 --n_layers 8 --n_heads 8 --max_seq_len 1024
      --batch_size 32 --steps 6104 --lr 2e-3 --warmup_steps 300 --schedule cosine --min_lr_ratio 0.1 --weight_decay 0.1
      --dtype bf16 --compile --attn_backend flex --eval_every 1000 --eval_batches 16 --ckpt_every 1000
      --seed 0 --final_dtype bf16 --results_dir results --no-progress --log_every 100"
# Training MFU at a size where the matmuls fill the GPU (issue 6): 151M non-embedding parameters, a few hundred steps of
# synthetic tokens, both objectives, with a torch.profiler summary of 10 steps (metrics.profile of the result).
MFU="--data synthetic --synthetic_tokens 4000000 --vocab_size 8192 --d_model 1024 --n_layers 12 --n_heads 16 --max_seq_len 1024
     --batch_size 32 --steps 200 --lr 1e-3 --warmup_steps 20 --dtype bf16 --compile --attn_backend flex --eval_every 0
     --eval_batches 1 --no-save_final --seed 0 --results_dir results --no-progress --log_every 10 --profile_steps 10"
# AR -> CASCADE conversion (issue 12): the recipes of results/convert_nano.json, each continued from checkpoints/train_ar
# (experiments/convert_nano.py; 22 runs, ~44 min on an H200; a 10-minute-per-command machine runs them in parts and --merge's them).
CONVERT_RUNS="b4_ts_lr1e-3_50M,b16_ts_lr1e-3_50M,b4_ts_lr1e-3_10M,b16_ts_lr1e-3_10M,b16_ts_lr3e-4_50M,b16_nots_lr1e-3_50M,b16_ts_lr1e-3_50M_m0.3-0.8,b4_ts_lr3e-4_50M,b16_ts_lr1e-3_150M_m0.3-0.8"
# the recipe options (TrainConfig.ar_mix, complementary, block_schedule) and the best recipes at 150M tokens
CONVERT_RUNS="$CONVERT_RUNS,b16_ts_lr1e-3_50M_m0.3-0.8_ar0.05,b16_ts_lr1e-3_50M_m0.3-0.8_comp,b16_ts_lr1e-3_50M_m0.3-0.8_cur1x0.1+4x0.3"
CONVERT_RUNS="$CONVERT_RUNS,b16_ts_lr1e-3_50M_m0.3-0.8_ar0.2,b4_ts_lr1e-3_50M_ar0.05,b4_ts_lr1e-3_50M_comp,b4_ts_lr1e-3_50M_cur1x0.2"
CONVERT_RUNS="$CONVERT_RUNS,b4_ts_lr1e-3_50M_m0.3-0.8,b4_ts_lr1e-3_50M_ar0.2,b4_ts_lr1e-3_150M_m0.3-0.8_ar0.2,b16_ts_lr1e-3_150M_m0.3-0.8_ar0.2"
CONVERT_RUNS="$CONVERT_RUNS,b4_ts_lr2e-3_150M_m0.3-0.8_ar0.2,b1_ts_lr1e-3_150M_ar0.999"   # the last: the AR twin (teacher + the same 150M tokens, AR loss)
CC_B4="b4_ts_lr1e-3_150M_m0.3-0.8_cc1"; CC_B16="b16_ts_lr1e-3_150M_m0.3-0.8_cc1"   # clean-causal conversions (convert_cc), AR-loss weight 1
CC3_B4="b4_ts_lr1e-3_150M_m0.3-0.8_cc3"; CC3_B16="b16_ts_lr1e-3_150M_m0.3-0.8_cc3" # AR-loss weight 3 (convert_cc3_full: every train shard)
BEST_B4=b4_ts_lr1e-3_150M_m0.3-0.8_ar0.2      # committed as checkpoints/convert_b4
BEST_B16=b16_ts_lr1e-3_150M_m0.3-0.8_ar0.2
TWIN=b1_ts_lr1e-3_150M_ar0.999                 # committed (causal form) as checkpoints/twin_ar: convert_b4's fair AR baseline
# SmolLM2-135M -> CASCADE (issue 12 item 6): one chain of 4 device calls, the same command each time (README, "SmolLM2 on the GPU").
SMOL_RUN="b4_ts_lr5e-4_60M_m0.3-0.8_ar0.2"
SMOL_TWIN="b1_ts_lr5e-4_60M_ar0.999"   # its AR twin: the same teacher continued with the AR loss on the same tokens (the fair baseline)
# The learned K_b head on real text (issue 14, experiments/adaptive_real.ipynb): reward tables of real blocks (every K, threshold
# and entropy rule; teacher and self scores), heads for lambda in {0.01, 0.05, 0.1, 0.5} x 3 seeds x (EMA, per-cluster,
# exact), on-line decoding of held-out prompts. CPU: small tables (~10 min on 2 cores for both models). GPU: full tables, more
# lambdas, one model per stage and device call; ADAPTIVE_B16 names another block-16 checkpoint; ADAPTIVE_ARGS adds -p flags to a
# call, e.g. ADAPTIVE_ARGS="-p bench_batches 1,16,64" for the engine's tokens/s (a second call reuses the tables in runs/).
ADAPTIVE_CPU_B4="-p n_blocks 512 -p n_eval_blocks 256 -p context 64"
ADAPTIVE_CPU_B16="-p n_blocks 96 -p n_eval_blocks 64 -p context 64 -p online_prompts 8 -p online_new_tokens 48
                  -p online_rules fixed:1,fixed:2,fixed:4,fixed:8,fixed:16,threshold:0.7,threshold:0.9,entropy:0.3,entropy:1.0"
ADAPTIVE_GPU="-p n_blocks 4096 -p n_eval_blocks 1024 -p context 256 -p online_prompts 64 -p online_prompt_len 128 -p online_new_tokens 256
              -p lambdas 0.01,0.03,0.05,0.1,0.2,0.5 -p device cuda -p batch 256 -p fwd_batch 1024
              -p bench_rules threshold:0.7,threshold:0.9,threshold:0.99,entropy:0.3,entropy:1.0"
# The Pareto frontier of convert_b4 on the GPU engine (issue 14 item 4, stage pareto_b4_gpu): code_line through lm-eval
# (experiments/evaluate.ipynb; CascadeEvalLM decodes every rule below with the graph-captured BlockEngine on CUDA), exact
# match against the teacher's per-item scores of eval_code_twin (results/eval_code_line_converted_twin_gpu.json, config
# `teacher`, all 1,200 items), NFE/token and tokens/s: (a) all 1,200 items at batch 64; (b) speed at batch 16 and 1 on the
# first PARETO_N items (the verdict on the teacher's first PARETO_N scores, `reference_scores`). Measured (session 24, one
# H100, compiled, 14 configurations with the AR teacher, PARETO_N=128): (a) ~141 s, batch 16 ~112 s, batch 1 ~104 s, 357 s
# in all, engine captures and compilation included; the default PARETO_N=256 and threshold:0.99 add an estimated ~1 min.
# The passes run in that order, so a call cut short keeps (a) and batch 16.
# The engines are compiled (PARETO_COMPILE=False: graphs only, as session 23's pass (a)); their capture and compilation happen
# before each configuration's timer starts. The AR teacher (config `ar`, train_ar's AREngine) runs in the same notebook as
# the rules, so each pass has its baseline from the same machine. PARETO_FULL=0 skips pass (a) (its file kept).
# PARETO_{RUN_CONFIGS,FULL_LIMIT,FULL_BATCH,N,BATCHES,OUT,COMPILE,FULL} override the defaults (the CPU smoke test: README, "Pareto frontier").
PARETO_HEADS=../results/heads/stop_head_b4_entropy_cpu_lam   # the exact-gradient stop heads of stage stop_head_b4_entropy (entropy:0.1's path)
PARETO_CONFIGS="ar=train_ar:ar,k4=convert_b4:fixed:4,k2=convert_b4:fixed:2,k1=convert_b4:fixed:1,thr05=convert_b4:threshold:0.5,thr07=convert_b4:threshold:0.7"
PARETO_CONFIGS="$PARETO_CONFIGS,thr09=convert_b4:threshold:0.9,thr099=convert_b4:threshold:0.99,ent01=convert_b4:entropy:0.1,ent03=convert_b4:entropy:0.3,ent05=convert_b4:entropy:0.5"
PARETO_CONFIGS="$PARETO_CONFIGS,stop001=convert_b4:stop:${PARETO_HEADS}0.01.safetensors,stop005=convert_b4:stop:${PARETO_HEADS}0.05.safetensors"
PARETO_CONFIGS="$PARETO_CONFIGS,stop01=convert_b4:stop:${PARETO_HEADS}0.1.safetensors,stop05=convert_b4:stop:${PARETO_HEADS}0.5.safetensors"
# advance='row' (issue 15's adaptive rules at batch 64; LOG session 26): each rule of the batch engine beside itself with every
# row moving to its next block on its own (RULE@row), and the AR teacher, in one pass
ROW_ADVANCE_CONFIGS="ar=train_ar:ar,k4=convert_b4:fixed:4,k4r=convert_b4:fixed:4@row,ent05=convert_b4:entropy:0.5,ent05r=convert_b4:entropy:0.5@row"
ROW_ADVANCE_CONFIGS="$ROW_ADVANCE_CONFIGS,ent03=convert_b4:entropy:0.3,ent03r=convert_b4:entropy:0.3@row,thr09=convert_b4:threshold:0.9,thr09r=convert_b4:threshold:0.9@row"
ROW_ADVANCE_CONFIGS="$ROW_ADVANCE_CONFIGS,stop01=convert_b4:stop:${PARETO_HEADS}0.1.safetensors,stop01r=convert_b4:stop:${PARETO_HEADS}0.1.safetensors@row"
ROW_ADVANCE_CONFIGS="$ROW_ADVANCE_CONFIGS,p9=convert_b4:prefix:0.9,p9r=convert_b4:prefix:0.9@row,p7=convert_b4:prefix:0.7,p7r=convert_b4:prefix:0.7@row"   # left to right (LOG session 27)
# continuous batching in the harness (CascadeEvalLM queue=true): the AR teacher and convert_b4's rules, each static and queued
QUEUE_CONFIGS="ar=train_ar:ar,arq=train_ar:ar@queue,ent05=convert_b4:entropy:0.5,ent05q=convert_b4:entropy:0.5@row+queue"
QUEUE_CONFIGS="$QUEUE_CONFIGS,k4q=convert_b4:fixed:4@row+queue,stop01q=convert_b4:stop:${PARETO_HEADS}0.1.safetensors@row+queue"
QUEUE_CONFIGS="$QUEUE_CONFIGS,p7q=convert_b4:prefix:0.7@row+queue"
PER_REQUEST_CONFIGS="ar=train_ar:ar,arq=train_ar:ar@queue,k4=convert_b4:fixed:4,k4q=convert_b4:fixed:4@row+queue,ent05=convert_b4:entropy:0.5,ent05q=convert_b4:entropy:0.5@row+queue"
PER_REQUEST_BS1_CONFIGS="ar=train_ar:ar,k4=convert_b4:fixed:4,ent05=convert_b4:entropy:0.5"   # one request at a time: no queue, no row
# The ablation grid (issue 18, experiments/ablation.ipynb): every row the nano shape and data order with the same budget of
# 20M training tokens (610 steps x 32 x 1024; the nanos took 200M). On an H200 a row trains in ~19 s (AR, ~1.07M tok/s) to
# ~30 s (block diffusion, ~670k tok/s; full diffusion's denser mask ~15% more), plus ~30 s of compilation, ~5 s of
# validation (16 batches x 8 noise draws) and 10-30 s of engine decoding: ~1.5 min a row, so each stage below is 4 rows
# in < 9 minutes (session 30, one H100, decoding off: blocks_b 174 s, ingredients 173 s). time_budget_s stops a stage from starting a
# row after 7.5 minutes (the result lists the rows not run); a rerun of those rows under another name writes its own file,
# e.g. ABLATION_ARGS="-p name blocks_b2 -p rows b64" (the report reads every results/ablation_*.json).
ABLATION_GPU="-p preset nano -p device cuda -p data ../data/build/tokens -p tokens 20000000 -p compile True -p eval_batches 16
              -p eval_draws 8 -p decode True -p decode_repeats 3 -p time_budget_s 450 -p row_time_cap_s 150"
ablation_rows() { case "$1" in
  ablation_cpu)         echo "ar,b1,b4,b16,full,b16_noreweight,b16_single_target,fused_commit,kv_cache,remask" ;;
  ablation_blocks_a)    echo "ar,b1,b2,b4" ;;
  ablation_blocks_a2)   echo "b1_full,b4_clipped" ;;   # the knob with the mask rate fixed at one; block 4 with the clipped rates
  ablation_blocks_b)    echo "b8,b16,b32,b64" ;;
  ablation_ingredients) echo "full,b16_noreweight,b16_noclip,b16_single_target" ;;   # more if time allows: b4_noreweight, b16_clipped
  ablation_decode)      echo "b16,fused_commit,kv_cache,remask" ;;   # the decode-only rows (reference decoder) on this call's b16
  ablation_variance)    echo "b16_clipped,b16_clipped_noreweight,b4_noreweight,b4_clipped_noreweight" ;;   # session 30's no-1/m gain: variance alone?
esac; }
# The scaling study (issue 16 part 2, experiments/scaling.ipynb): AR, CASCADE block 4 and block 16 at three sizes (~3.2M / 25.7M /
# 85M non-embedding params: 256x4x4, 512x8x8, 768x12x12) on the same 20M tokens of the nano data, context and batch, lr 2e-3
# at width 512 scaled as 1/width, plus block 4 and 16 at the AR row's training FLOPs at 25.7M (equal compute). Estimated from
# results/ablation_blocks_a.json (H200, 512x8x8, 20M tokens: AR 1.22M tok/s, block 4 655k tok/s, a row 32-46 s with its
# compilation) scaled by cascade.train.flops_per_token (768x12x12 costs ~2.9x the 512x8x8 per token, 256x4x4 ~0.2x, but small
# shapes run far below peak, so ~30 s a row, mostly compilation): scaling_a (the two small sizes and the two equal-compute
# rows, 8 rows) ~5.5 min, scaling_b (the 85M size, 3 rows, ~1.5 min AR and ~2 min per CASCADE row) ~6 min, each plus the
# token unpacking; both under a 10-minute call. scaling_b merges scaling_a's rows (when results/scaling_a.json is there) into
# its fits and CASCADE/AR ratios. The CPU stage (--stage scaling_cpu, not in the CPU profile's list) is the tiny preset on
# synthetic tokens: a pipeline check whose numbers say nothing about the method.
SCALING_GPU="-p preset gpu -p device cuda -p compile True -p eval_batches 16 -p eval_draws 8 -p time_budget_s 450 -p row_time_cap_s 200"
scaling_args() { case "$1" in
  scaling_cpu) echo "-p name cpu -p equal_compute True" ;;
  scaling_a)   echo "-p name a -p sizes 256x4x4,512x8x8 -p equal_compute True -p equal_compute_size 512x8x8" ;;
  scaling_b)   echo "-p name b -p sizes 768x12x12 -p merge a" ;;
esac; }
# an experiment notebook: papermill where it is installed, else scripts/run_notebook.py (the GPU image has no papermill)
JUDGE_TASKS_ALL=judge_greedy_128,judge_greedy_512,judge_sample_128,judge_sample_512   # the four judge tasks (stage eval_judge, gpu)
run_nb() { local nb="$1" out="$2"; shift 2
  if $PY -c "import papermill" 2>/dev/null; then (cd experiments && $PY -m papermill "$nb" "../$out" -k python3 --progress-bar "$@")
  else $PY scripts/run_notebook.py "experiments/$nb" "$@"; fi; }
train_args() { case "$1" in
  train_ar)          echo "--objective ar --block_size 1" ;;
  train_cascade_b16) echo "--objective cascade --block_size 16" ;;
  train_cascade_b4)  echo "--objective cascade --block_size 4" ;;
  # the nanos again with each block size's best training loss of the ablation grid at 20M tokens (LOG, session 31): the clipped
  # mask rates at block 16, the clipped rates with plain cross-entropy at block 4 (GPU stages, not in the default run; not yet run:
  # about 6.5 min each estimated from train_cascade_b4's 376 s on an H100 plus evaluation)
  train_clip_cascade_b16) echo "--objective cascade --block_size 16 --m_min 0.3 --m_max 0.8" ;;
  train_clip_cascade_b4)  echo "--objective cascade --block_size 4 --m_min 0.3 --m_max 0.8 --weighting plain" ;;
esac; }

deps() { case "$1" in
  smoke)      echo "experiments/smoke.ipynb cascade/config.py cascade/model.py cascade/objective.py" ;;
  decode_cpu) echo "experiments/decode_cpu.ipynb cascade/model.py cascade/cache.py cascade/sampler.py cascade/bench.py checkpoints/train_ar/manifest.json checkpoints/train_cascade_b16/manifest.json checkpoints/train_cascade_b4/manifest.json" ;;
  adaptive_k) echo "experiments/adaptive_k.ipynb cascade/config.py cascade/model.py cascade/objective.py cascade/cache.py cascade/sampler.py cascade/adaptive.py" ;;
  adaptive_real_cc3) echo "repro.sh experiments/adaptive_real.ipynb cascade/reward_table.py cascade/adaptive.py cascade/sampler.py cascade/cache.py cascade/model.py data/sample/index.json checkpoints/train_ar/manifest.json checkpoints/convert_cc3_b4/manifest.json" ;;
  remask_probe_b4) echo "repro.sh experiments/remask_probe.py cascade/sampler.py cascade/evaluation.py cascade/model.py data/sample/val.bin checkpoints/train_ar/manifest.json checkpoints/convert_b4/manifest.json" ;;
  stop_head_b4) echo "repro.sh experiments/stop_head.py cascade/stop_head.py cascade/reward_table.py cascade/adaptive.py cascade/sampler.py cascade/cache.py cascade/model.py data/sample/index.json checkpoints/train_ar/manifest.json checkpoints/convert_b4/manifest.json" ;;
  stop_head_b4_entropy) echo "repro.sh experiments/stop_head.py cascade/stop_head.py cascade/reward_table.py cascade/adaptive.py cascade/sampler.py cascade/cache.py cascade/model.py data/sample/index.json checkpoints/train_ar/manifest.json checkpoints/convert_b4/manifest.json" ;;
  stop_heads_b4_entropy) echo "repro.sh experiments/stop_head.py cascade/stop_head.py cascade/reward_table.py cascade/adaptive.py cascade/sampler.py cascade/cache.py cascade/model.py data/sample/index.json checkpoints/train_ar/manifest.json checkpoints/convert_b4/manifest.json" ;;
  stop_head_cc3_b4_entropy) echo "repro.sh experiments/stop_head.py cascade/stop_head.py cascade/reward_table.py cascade/adaptive.py cascade/sampler.py cascade/cache.py cascade/model.py data/sample/index.json checkpoints/train_ar/manifest.json checkpoints/convert_cc3_b4/manifest.json" ;;
  eval_code_stop) echo "experiments/evaluate.ipynb cascade/evaluation.py cascade/stop_head.py cascade/sampler.py cascade/cache.py cascade/model.py tasks/manifest.json checkpoints/convert_b4/manifest.json results/heads/stop_head_b4_entropy_cpu_lam0.1.safetensors" ;;
  stop_head_b4_entropy03) echo "repro.sh experiments/stop_head.py cascade/stop_head.py cascade/reward_table.py cascade/adaptive.py cascade/sampler.py cascade/cache.py cascade/model.py data/sample/index.json checkpoints/train_ar/manifest.json checkpoints/convert_b4/manifest.json" ;;
  adaptive_real*) echo "repro.sh experiments/adaptive_real.ipynb cascade/reward_table.py cascade/adaptive.py cascade/sampler.py cascade/cache.py cascade/model.py data/sample/index.json checkpoints/train_ar/manifest.json checkpoints/convert_b4/manifest.json checkpoints/train_cascade_b16/manifest.json" ;;
  engine_profile) echo "experiments/engine_profile.py cascade/model.py cascade/engine.py cascade/sampler.py" ;;
  bench)      echo "cascade/model.py cascade/engine.py cascade/bench.py cascade/sampler.py checkpoints/train_ar/manifest.json checkpoints/train_cascade_b16/manifest.json checkpoints/train_cascade_b4/manifest.json" ;;
  judge)      echo "experiments/throughput.ipynb cascade/judge.py cascade/quality.py results/decode_gpu.json" ;;
  convert)    echo "experiments/convert_nano.py cascade/convert.py cascade/model.py cascade/objective.py cascade/train.py checkpoints/train_ar/manifest.json data/transport.json" ;;
  bench_converted) echo "cascade/model.py cascade/engine.py cascade/bench.py results/convert_nano.json" ;;
  convert_cc) echo "experiments/convert_nano.py cascade/convert.py cascade/model.py cascade/objective.py cascade/train.py checkpoints/train_ar/manifest.json data/transport.json" ;;
  convert_plain) echo "experiments/convert_nano.py cascade/convert.py cascade/model.py cascade/objective.py cascade/train.py checkpoints/train_ar/manifest.json data/transport.json" ;;
  convert_cc3|convert_cc3_full) echo "experiments/convert_nano.py experiments/verify_bench.py cascade/convert.py cascade/model.py cascade/engine.py cascade/train.py checkpoints/train_ar/manifest.json checkpoints/twin_ar/manifest.json data/transport.json results/eval_code_line_converted_twin_gpu.json" ;;
  eval_code_cc) echo "experiments/evaluate.ipynb cascade/evaluation.py cascade/sampler.py cascade/cache.py cascade/model.py tasks/manifest.json checkpoints/twin_ar/manifest.json checkpoints/convert_cc_b4/manifest.json results/eval_code_line_converted_twin_gpu.json" ;;
  verify_bench|verify_step) echo "repro.sh experiments/verify_bench.py cascade/engine.py cascade/sampler.py cascade/model.py data/sample/val.bin cascade/quality.py cascade/bench.py tasks/code_line/code_line.jsonl checkpoints/convert_cc_b4/manifest.json checkpoints/twin_ar/manifest.json results/eval_code_line_converted_twin_gpu.json" ;;
  verify_shapes_smollm2) echo "experiments/verify_shapes.py experiments/verify_bench.py experiments/engine_profile.py cascade/engine.py cascade/model.py cascade/config.py cascade/bench.py" ;;
  verify_packed_smollm2) echo "experiments/attn_layouts.py experiments/verify_shapes.py experiments/verify_bench.py cascade/engine.py cascade/model.py cascade/config.py" ;;
  pareto_b4_gpu) echo "repro.sh experiments/evaluate.ipynb cascade/evaluation.py cascade/engine.py cascade/stop_head.py cascade/sampler.py cascade/model.py tasks/manifest.json checkpoints/train_ar/manifest.json checkpoints/convert_b4/manifest.json results/eval_code_line_converted_twin_gpu.json results/heads/stop_head_b4_entropy_cpu_lam0.01.safetensors results/heads/stop_head_b4_entropy_cpu_lam0.05.safetensors results/heads/stop_head_b4_entropy_cpu_lam0.1.safetensors results/heads/stop_head_b4_entropy_cpu_lam0.5.safetensors" ;;
  queue_b4_gpu) echo "repro.sh experiments/evaluate.ipynb cascade/evaluation.py cascade/engine.py cascade/stop_head.py cascade/sampler.py cascade/model.py tasks/manifest.json checkpoints/train_ar/manifest.json checkpoints/convert_b4/manifest.json results/eval_code_line_converted_twin_gpu.json results/heads/stop_head_b4_entropy_cpu_lam0.1.safetensors" ;;
  per_request_b4_gpu) echo "repro.sh experiments/evaluate.ipynb cascade/evaluation.py cascade/engine.py cascade/stop_head.py cascade/sampler.py cascade/model.py tasks/manifest.json checkpoints/train_ar/manifest.json checkpoints/convert_b4/manifest.json results/eval_code_line_converted_twin_gpu.json results/heads/stop_head_b4_entropy_cpu_lam0.1.safetensors" ;;
  row_advance_b4_gpu) echo "repro.sh experiments/evaluate.ipynb cascade/evaluation.py cascade/engine.py cascade/stop_head.py cascade/sampler.py cascade/model.py tasks/manifest.json checkpoints/train_ar/manifest.json checkpoints/convert_b4/manifest.json results/eval_code_line_converted_twin_gpu.json results/heads/stop_head_b4_entropy_cpu_lam0.1.safetensors" ;;
  batch_sync_queue) echo "experiments/batch_sync_cost.py cascade/engine.py cascade/evaluation.py tasks/manifest.json checkpoints/convert_b4/manifest.json checkpoints/train_ar/manifest.json results/heads/stop_head_b4_entropy_cpu_lam0.1.safetensors" ;;
  batch_sync_row) echo "experiments/batch_sync_cost.py cascade/engine.py cascade/evaluation.py tasks/manifest.json checkpoints/convert_b4/manifest.json results/heads/stop_head_b4_entropy_cpu_lam0.1.safetensors" ;;
  batch_sync_cost) echo "experiments/batch_sync_cost.py cascade/sampler.py cascade/evaluation.py tasks/manifest.json checkpoints/convert_b4/manifest.json checkpoints/train_ar/manifest.json results/heads/stop_head_b4_entropy_cpu_lam0.1.safetensors" ;;
  stop_cost) echo "experiments/stop_cost.py cascade/engine.py cascade/stop_head.py cascade/sampler.py results/heads/stop_head_b4_entropy_cpu_lam0.1.safetensors" ;;
  serve_latency) echo "experiments/serve_latency.py cascade/hf.py cascade/engine.py cascade/model.py" ;;
  serve_http) echo "experiments/serve_http.py cascade/serve.py cascade/cli.py cascade/engine.py checkpoints/convert_cc3_b4/manifest.json checkpoints/twin_ar/manifest.json" ;;
  serve_load) echo "experiments/serve_load.py cascade/serve.py cascade/engine.py cascade/hf.py checkpoints/convert_cc3_b4/manifest.json checkpoints/twin_ar/manifest.json" ;;
  verify_sample_cc3) echo "experiments/verify_bench.py cascade/engine.py cascade/model.py checkpoints/convert_cc3_b4/manifest.json checkpoints/twin_ar/config.json" ;;
  task_cc3_bf16) echo "experiments/verify_bench.py cascade/engine.py cascade/model.py checkpoints/convert_cc3_b4/manifest.json tasks/code_line/code_line.jsonl results/eval_code_line_converted_twin_gpu.json" ;;
  queue_cc3) echo "experiments/verify_bench.py experiments/queue_profile.py cascade/engine.py cascade/model.py checkpoints/convert_cc3_b4/manifest.json" ;;
  verify_probe) echo "repro.sh experiments/verify_probe.py cascade/sampler.py cascade/cache.py cascade/quality.py cascade/model.py tasks/code_line/code_line.jsonl checkpoints/convert_cc_b4/manifest.json" ;;
  eval_code_cc3) echo "experiments/evaluate.ipynb cascade/evaluation.py cascade/sampler.py cascade/cache.py cascade/model.py tasks/manifest.json checkpoints/convert_cc3_b4/manifest.json results/eval_code_line_converted_twin_gpu.json" ;;
  eval_judge_cc3) echo "experiments/evaluate_judge.ipynb cascade/evaluation.py cascade/judge.py cascade/quality.py tasks/manifest.json tasks/judge/judge_greedy_128.yaml checkpoints/twin_ar/manifest.json checkpoints/convert_cc3_b4/manifest.json" ;;
  eval_judge_order_b4) echo "experiments/evaluate_judge.ipynb cascade/evaluation.py cascade/judge.py cascade/quality.py tasks/manifest.json tasks/judge/judge_greedy_128.yaml checkpoints/train_ar/manifest.json checkpoints/convert_b4/manifest.json" ;;
  eval_judge_verify_cc3) echo "experiments/evaluate_judge.ipynb cascade/evaluation.py cascade/sampler.py cascade/judge.py cascade/quality.py tasks/manifest.json tasks/judge/judge_greedy_128.yaml checkpoints/train_ar/manifest.json checkpoints/twin_ar/manifest.json checkpoints/convert_cc3_b4/manifest.json" ;;
  eval_judge_twin_b4) echo "experiments/evaluate_judge.ipynb cascade/evaluation.py cascade/judge.py cascade/quality.py tasks/manifest.json tasks/judge/judge_greedy_128.yaml checkpoints/twin_ar/manifest.json checkpoints/convert_b4/manifest.json" ;;
  eval_judge_prefix_b4) echo "experiments/evaluate_judge.ipynb cascade/evaluation.py cascade/judge.py cascade/quality.py tasks/manifest.json tasks/judge/judge_greedy_128.yaml checkpoints/train_ar/manifest.json checkpoints/convert_b4/manifest.json" ;;
  eval_code_prefix_b4) echo "experiments/evaluate.ipynb cascade/evaluation.py cascade/sampler.py cascade/model.py tasks/manifest.json checkpoints/convert_b4/manifest.json results/eval_code_line_converted_twin_gpu.json" ;;
  convert_smollm2) echo "experiments/convert_smollm2.py experiments/convert_nano.py cascade/convert.py cascade/train.py cascade/data.py data/smollm2_gguf.json data/transport_smollm2.json" ;;
  smollm2_cc3) echo "experiments/smollm2_chain.sh experiments/convert_smollm2.py experiments/evaluate_tasks.py experiments/verify_bench.py cascade/convert.py cascade/train.py cascade/evaluation.py cascade/engine.py tasks/manifest.json data/smollm2_gguf.json data/transport_smollm2.json" ;;
  smollm2_kd3|smollm2_dkd3sfx|smollm2_dkd3sfxhl0|smollm2_kd10dkd3sfxhl0|smollm2_kd10dkd3sfxhl0s1) echo "experiments/smollm2_chain.sh experiments/convert_smollm2.py experiments/evaluate_tasks.py experiments/verify_bench.py cascade/quality.py cascade/convert.py cascade/train.py cascade/objective.py cascade/evaluation.py cascade/engine.py tasks/manifest.json data/smollm2_gguf.json data/transport_smollm2.json" ;;
  nano_dkd_pilot) echo "experiments/nano_dkd_pilot.sh experiments/convert_nano.py experiments/verify_accept.py cascade/train.py cascade/objective.py cascade/engine.py checkpoints/train_ar/manifest.json data/transport.json" ;;
  judge_converted) echo "experiments/throughput.ipynb cascade/judge.py results/decode_gpu_converted.json" ;;
  bench_converted_best) echo "cascade/model.py cascade/engine.py cascade/bench.py results/convert_nano.json" ;;
  judge_converted_best) echo "experiments/throughput.ipynb cascade/judge.py results/decode_gpu_converted_b4.json results/decode_gpu_converted_b16.json" ;;
  bench_twin) echo "cascade/model.py cascade/engine.py cascade/bench.py checkpoints/twin_ar/manifest.json checkpoints/convert_b4/manifest.json" ;;
  eval_code_twin) echo "experiments/evaluate.ipynb cascade/evaluation.py cascade/engine.py tasks/manifest.json checkpoints/twin_ar/manifest.json checkpoints/train_ar/manifest.json checkpoints/convert_b4/manifest.json" ;;
  judge_twin) echo "experiments/throughput.ipynb cascade/judge.py cascade/quality.py results/decode_gpu_converted_b4_twin.json results/eval_code_line_converted_twin_gpu.json" ;;
  eval_code)  echo "experiments/evaluate.ipynb cascade/evaluation.py cascade/sampler.py cascade/engine.py tasks/manifest.json tasks/code_line/code_line.yaml checkpoints/train_ar/manifest.json checkpoints/train_cascade_b16/manifest.json checkpoints/train_cascade_b4/manifest.json" ;;
  eval_judge) echo "experiments/evaluate_judge.ipynb cascade/evaluation.py cascade/judge.py cascade/quality.py tasks/manifest.json tasks/judge/judge_greedy_128.yaml checkpoints/train_ar/manifest.json checkpoints/convert_b4/manifest.json" ;;
  eval_judge_score) echo "experiments/evaluate_judge.ipynb cascade/evaluation.py cascade/judge.py cascade/quality.py results/judge_pairs_eval_judge_gpu.json" ;;
  scaling_*) echo "repro.sh experiments/scaling.ipynb cascade/train.py cascade/objective.py cascade/model.py cascade/data.py" ;;
  ablation_decode_nano) echo "repro.sh experiments/ablation.ipynb cascade/model.py cascade/sampler.py cascade/cache.py checkpoints/train_cascade_b16/manifest.json" ;;
  ablation_*) echo "repro.sh experiments/ablation.ipynb cascade/train.py cascade/objective.py cascade/model.py cascade/engine.py cascade/sampler.py cascade/data.py" ;;
  mfu|train_*) echo "repro.sh cascade/config.py cascade/model.py cascade/objective.py cascade/train.py cascade/data.py cascade/checkpoint.py cascade/storage.py data/transport.json" ;;
  *) echo "" ;;
esac; }
outputs() { case "$1" in
  smoke) echo "results/smoke_cpu.json" ;;
  adaptive_k) echo "results/adaptive_k.json" ;;
  adaptive_real) echo "results/adaptive_real_b4_cpu.json results/adaptive_real_b16_cpu.json" ;;
  adaptive_real_cc3) echo "results/adaptive_real_cc3_b4_cpu.json" ;;
  remask_probe_b4) echo "results/remask_probe_b4_cpu.json" ;;
  stop_head_b4) echo "results/stop_head_b4_cpu.json" ;;
  stop_head_b4_entropy) echo "results/stop_head_b4_entropy_cpu.json" ;;
  stop_head_b4_entropy03) echo "results/stop_head_b4_entropy03_cpu.json" ;;
  stop_head_cc3_b4_entropy) echo "results/stop_head_cc3_b4_entropy_cpu.json" ;;
  stop_heads_b4_entropy) echo "results/heads/stop_head_b4_entropy_cpu_lam0.01.safetensors results/heads/stop_head_b4_entropy_cpu_lam0.05.safetensors results/heads/stop_head_b4_entropy_cpu_lam0.1.safetensors results/heads/stop_head_b4_entropy_cpu_lam0.5.safetensors" ;;
  eval_code_stop) echo "results/eval_code_line_stop_cpu.json" ;;
  adaptive_real_b4_gpu|adaptive_real_b16_gpu|ablation_*|scaling_*) echo "results/$1.json" ;;
  decode_cpu) echo "results/throughput_cpu.json results/sampler_cpu.json results/samples_cpu.json" ;;
  train_*)    echo "results/$1.json checkpoints/$1/config.json" ;;
  mfu)        echo "results/mfu_cascade_d1024.json results/mfu_ar_d1024.json" ;;
  engine_profile) echo "results/engine_profile.json" ;;
  bench)      echo "results/decode_gpu.json" ;;
  judge)      echo "results/throughput.json" ;;
  convert)    echo "results/convert_nano.json checkpoints/convert_b4/config.json checkpoints/twin_ar/config.json" ;;
  bench_converted) echo "results/decode_gpu_converted.json" ;;
  convert_smollm2) echo "results/convert_smollm2.json" ;;
  smollm2_cc3) echo "results/convert_smollm2_cc3.json results/eval_smollm2_gpu.json results/verify_bench_smollm2.json" ;;
  smollm2_kd3) echo "results/convert_smollm2_kd3.json results/eval_smollm2_kd3_gpu.json results/verify_bench_smollm2_kd3.json results/verify_bench_smollm2_kd3_flex.json" ;;
  smollm2_dkd3sfx) echo "results/convert_smollm2_dkd3sfx.json results/eval_smollm2_dkd3sfx_gpu.json results/verify_bench_smollm2_dkd3sfx.json" ;;
  smollm2_dkd3sfxhl0) echo "results/convert_smollm2_dkd3sfxhl0.json results/eval_smollm2_dkd3sfxhl0_gpu.json results/verify_bench_smollm2_dkd3sfxhl0.json" ;;
  smollm2_kd10dkd3sfxhl0) echo "results/convert_smollm2_kd10dkd3sfxhl0.json results/eval_smollm2_kd10dkd3sfxhl0_gpu.json results/verify_bench_smollm2_kd10dkd3sfxhl0.json" ;;
  verify_shapes_smollm2) echo "results/verify_shapes_smollm2.json results/verify_shapes_smollm2_v4.json results/verify_shapes_smollm2_v2.json results/verify_shapes_smollm2_v1.json" ;;
  verify_packed_smollm2) echo "results/attn_layouts_smollm2.json results/verify_shapes_smollm2_packed.json results/verify_shapes_smollm2_packed_v4.json results/verify_shapes_smollm2_sdpa.json results/verify_shapes_smollm2_sdpa_v4.json" ;;
  stop_cost) echo "results/stop_cost_gpu.json" ;;
  batch_sync_cost) echo "results/batch_sync_cost_cpu.json results/batch_sync_cost_ar_cpu.json" ;;
  batch_sync_row) echo "results/batch_sync_cost_row_cpu.json" ;;
  batch_sync_queue) echo "results/batch_sync_cost_queue_cpu.json results/batch_sync_cost_queue_ar_cpu.json" ;;
  row_advance_b4_gpu) echo "results/eval_code_line_pareto_b4_row_gpu.json" ;;
  queue_b4_gpu) echo "results/eval_code_line_pareto_b4_queue_gpu.json" ;;
  per_request_b4_gpu) t="${PER_REQUEST_PART:+_$PER_REQUEST_PART}"; [ "${PER_REQUEST_BATCH:-64}" = 64 ] || t="${t}_b$PER_REQUEST_BATCH"; echo "results/eval_code_line_per_request_b4${t}_gpu.json results/eval_code_line_per_request_b4${t}_bs1_gpu.json" ;;
  pareto_b4_gpu) echo "results/eval_code_line_pareto_b4_gpu.json results/eval_code_line_pareto_b4_bs16_gpu.json results/eval_code_line_pareto_b4_bs1_gpu.json" ;;
  smollm2_kd10dkd3sfxhl0s1) echo "results/convert_smollm2_kd10dkd3sfxhl0s1.json results/eval_smollm2_kd10dkd3sfxhl0s1_gpu.json results/verify_bench_smollm2_kd10dkd3sfxhl0s1.json results/verify_bench_smollm2_kd10dkd3sfxhl0s1_v4.json results/verify_bench_smollm2_kd10dkd3sfxhl0s1_v2.json results/verify_bench_smollm2_kd10dkd3sfxhl0s1_v1.json" ;;
  nano_dkd_pilot) echo "results/convert_nano_dkd_pilot.json results/verify_accept_nano_dkd_pilot.json" ;;
  convert_cc) echo "results/convert_nano_cc.json checkpoints/convert_cc_b4/config.json" ;;
  convert_plain) echo "results/convert_nano_plain.json" ;;
  convert_cc3) echo "results/convert_nano_cc3.json results/verify_bench_cc3_b4.json results/verify_bench_cc3_b16.json results/verify_bench_cc3_b4_v0.json results/verify_bench_cc3_b4_v2.json results/verify_bench_cc3_b4_v1.json results/verify_bench_cc3_b16_v0.json results/verify_bench_cc3_b16_v4.json results/verify_bench_cc3_b16_v2.json" ;;
  convert_cc3_full) echo "results/convert_nano_cc3_full.json results/verify_bench_cc3_full_b4.json results/verify_bench_cc3_full_b16.json" ;;
  verify_bench) echo "results/verify_bench_gpu.json results/verify_bench_gpu_speed.json" ;;
  verify_step) echo "results/verify_bench_gpu_compile_step.json results/verify_bench_gpu_plain.json" ;;
  serve_latency) echo "results/serve_latency_gpu.json" ;;
  serve_http) echo "results/serve_http_gpu_r3.json" ;;
  serve_load) echo "results/serve_load_gpu.json" ;;
  task_cc3_bf16) echo "results/verify_bench_cc3_b4_bf16.json" ;;
  verify_sample_cc3) echo "results/verify_bench_cc3_b4_sampled.json results/verify_bench_cc3_b4_greedy_same.json" ;;
  queue_cc3) echo "results/verify_bench_cc3_b4_queue4.json results/verify_bench_cc3_b4_queue5.json results/verify_bench_cc3_b4_queue2.json results/verify_bench_cc3_b4_queue3.json results/queue_profile_cc3_b4.json" ;;
  verify_probe) echo "results/verify_probe_full_cpu.json" ;;
  eval_code_cc3) echo "results/eval_code_line_cc3_cpu.json results/eval_code_line_cc3_prefix_cpu.json" ;;
  eval_judge_cc3) echo "results/eval_judge_cc3_cpu.json" ;;
  eval_judge_order_b4) echo "results/eval_judge_order_b4_cpu.json" ;;
  eval_code_prefix_b4) echo "results/eval_code_line_prefix_b4_cpu.json" ;;
  eval_judge_twin_b4) echo "results/eval_judge_twin_b4_cpu.json" ;;
  eval_judge_verify_cc3) echo "results/eval_judge_verify_cc3_cpu.json" ;;
  eval_judge_prefix_b4) echo "results/eval_judge_prefix_b4_cpu.json" ;;
  eval_code_cc) echo "results/eval_code_line_cc_b4_gpu.json results/eval_code_line_cc_prefix_gpu.json results/eval_code_line_cc_prefix99_gpu.json" ;;
  judge_converted) echo "results/judge_converted.json" ;;
  bench_converted_best) echo "results/decode_gpu_converted_b4.json results/decode_gpu_converted_b16.json" ;;
  judge_converted_best) echo "results/judge_converted_b4.json results/judge_converted_b16.json" ;;
  eval_code)  echo "results/eval_code_line_$PROFILE${EVAL_CODE_PART:+_$EVAL_CODE_PART}.json" ;;
  bench_twin) echo "results/decode_gpu_converted_b4_twin.json" ;;
  eval_code_twin) echo "results/eval_code_line_converted_twin_gpu.json" ;;
  judge_twin) echo "results/judge_converted_b4_twin.json" ;;
  eval_judge) if [ "$PROFILE" = gpu ]; then echo "results/judge_pairs_eval_judge_gpu.json"; else echo "results/eval_judge_$PROFILE.json"; fi ;;
  eval_judge_score) echo "results/eval_judge_gpu.json" ;;
  *) echo "" ;;
esac; }
run_stage() { case "$1" in
  smoke|adaptive_k|decode_cpu)
    (cd experiments && $PY -m papermill "$1.ipynb" "../runs/$1.ipynb" -k python3 --progress-bar) ;;
  adaptive_real_cc3)   # issue 14 on the CPU for the clean-causal conversion that matches the twin (convert_cc3_b4), ~6 min (--stage only)
    # shellcheck disable=SC2086
    run_nb adaptive_real.ipynb runs/adaptive_real_cc3_b4_cpu.ipynb -p checkpoint ../checkpoints/convert_cc3_b4 -p name cc3_b4_cpu $ADAPTIVE_CPU_B4 ${ADAPTIVE_ARGS:-} ;;
  remask_probe_b4)   # issue 18: remasking inside the current block on convert_b4 (rules x rho; the AR teacher's NLL of 64 greedy 128-token continuations), CPU, ~16 min on 2 cores (--stage only)
    $PY experiments/remask_probe.py --prompts 64 --prompt_len 128 --new 128 --out results/remask_probe_b4_cpu.json ;;
  stop_head_b4)   # issue 14: the per-step stop head against the per-block head and every rule on convert_b4's real blocks, CPU, ~10 min on one core (--stage only)
    $PY experiments/stop_head.py --checkpoint checkpoints/convert_b4 --name b4_cpu --threads 1 ;;
  stop_head_b4_entropy)   # issue 14: the stop head continuing along the entropy rule's path (entropy:0.1), 1024 training / 1536 held-out blocks, CPU, ~13 min on one core (--stage only)
    $PY experiments/stop_head.py --checkpoint checkpoints/convert_b4 --name b4_entropy_cpu --path entropy:0.1 --n_blocks 1024 --n_eval_blocks 1536 --threads 1 ;;
  stop_head_b4_entropy03)   # the same along entropy:0.3's path, ~13 min on one core (--stage only)
    $PY experiments/stop_head.py --checkpoint checkpoints/convert_b4 --name b4_entropy03_cpu --path entropy:0.3 --n_blocks 1024 --n_eval_blocks 1536 --threads 1 ;;
  stop_head_cc3_b4_entropy)   # the same on the clean-causal conversion matched to the twin (convert_cc3_b4), along entropy:0.1, two threads (--stage only)
    $PY experiments/stop_head.py --checkpoint checkpoints/convert_cc3_b4 --name cc3_b4_entropy_cpu --path entropy:0.1 --n_blocks 1024 --n_eval_blocks 1536 --threads 2 ;;
  stop_heads_b4_entropy)   # the exact-gradient stop heads (seed 0, one per lambda) of stop_head_b4_entropy's training blocks, saved for rule stop:PATH;
                           # the same training run, scored on 64 held-out blocks only (its JSON goes to runs/), ~8 min on one core (--stage only)
    $PY experiments/stop_head.py --checkpoint checkpoints/convert_b4 --name b4_entropy_cpu --path entropy:0.1 --n_blocks 1024 --n_eval_blocks 64 --seeds 0 --threads 1 \
        --out_dir runs/stop_heads --save_heads results/heads ;;
  eval_code_stop)   # rule stop:PATH end to end: code_line's first 100 items on convert_b4 through lm-eval (reference sampler), the stop head at
                    # lambda 0.1 along entropy:0.1's path against entropy:0.1, fixed:4 and threshold:0.9, CPU, a few minutes (--stage only)
    run_nb evaluate.ipynb runs/eval_code_line_stop_cpu.ipynb -p limit 100 -p profile cpu -p batch_size 16 -p result_name eval_code_line_stop_cpu \
        -p reference b4_ent -p configs "b4_stop=convert_b4:stop:../results/heads/stop_head_b4_entropy_cpu_lam0.1.safetensors,b4_ent=convert_b4:entropy:0.1,b4_k4=convert_b4:fixed:4,b4_thr=convert_b4:threshold:0.9" ;;
  adaptive_real)   # issue 14 on the CPU: the converted block-4 model and the block-16 nano
    # shellcheck disable=SC2086
    run_nb adaptive_real.ipynb runs/adaptive_real_b4_cpu.ipynb -p checkpoint ../checkpoints/convert_b4 -p name b4_cpu $ADAPTIVE_CPU_B4 ${ADAPTIVE_ARGS:-} &&
    # shellcheck disable=SC2086
    run_nb adaptive_real.ipynb runs/adaptive_real_b16_cpu.ipynb -p checkpoint ../checkpoints/train_cascade_b16 -p name b16_cpu $ADAPTIVE_CPU_B16 ${ADAPTIVE_ARGS:-} ;;
  adaptive_real_b4_gpu)
    # shellcheck disable=SC2086
    run_nb adaptive_real.ipynb runs/adaptive_real_b4_gpu.ipynb -p checkpoint ../checkpoints/convert_b4 -p name b4_gpu $ADAPTIVE_GPU ${ADAPTIVE_ARGS:-} ;;
  adaptive_real_b16_gpu)   # ADAPTIVE_B16: e.g. runs/convert/keep/b16_ts_lr1e-3_150M_m0.3-0.8_ar0.2 (the best block-16 model) when present
    b16="${ADAPTIVE_B16:-checkpoints/train_cascade_b16}"; case "$b16" in /*) ;; *) b16="../$b16" ;; esac
    # shellcheck disable=SC2086
    run_nb adaptive_real.ipynb runs/adaptive_real_b16_gpu.ipynb -p checkpoint "$b16" -p name b16_gpu $ADAPTIVE_GPU ${ADAPTIVE_ARGS:-} ;;
  ablation_cpu)   # issue 18 on the CPU: the tiny preset on synthetic tokens, a few rows of each kind - the pipeline end to end, not the paper's grid; ~40 s on 2 idle cores
    # shellcheck disable=SC2086
    run_nb ablation.ipynb runs/ablation_cpu.ipynb -p name cpu -p stage ablation_cpu -p rows "$(ablation_rows ablation_cpu)" -p decode_repeats 2 ${ABLATION_ARGS:-} ;;
  ablation_blocks_a|ablation_blocks_a2|ablation_blocks_b|ablation_ingredients|ablation_decode|ablation_variance)
    # Engine decoding (-p decode True) of a row stays in ablation_blocks_a, where an AR row is decoded first: in a process
    # whose first block engine follows a CASCADE row's training, the graph capture fails on torch 2.11 (the compiled
    # FlexAttention runs its unfused fallback; LOG, session 30). The other stages run with it off, as their results were made.
    local dec=""; [ "$1" = ablation_blocks_a ] || dec="-p decode False"
    if ls data/build/transport/bundle_* >/dev/null 2>&1; then $PY -m cascade.data unpack; fi
    # shellcheck disable=SC2086
    run_nb ablation.ipynb "runs/$1.ipynb" -p name "${1#ablation_}" -p stage "$1" -p rows "$(ablation_rows "$1")" $ABLATION_GPU $dec ${ABLATION_ARGS:-} ;;
  ablation_decode_nano)   # issue 18's decode-only rows on the committed block-16 nano (checkpoints/train_cascade_b16), CPU, --stage only:
                          # fused vs separate commit and the KV cache vs recomputing the prefix (the same tokens in float64; NFE), and
                          # remasking (4 prompts' quality proxies); tokens/s here are a CPU's, not the GPU regime. The first two rows take
                          # ~8 min on 2 cores; the remask row ~18 min more (session 31 ran it alone: ABLATION_ARGS="-p rows remask -p name
                          # decode_nano_remask" -> results/ablation_decode_nano_remask.json)
    run_nb ablation.ipynb runs/ablation_decode_nano.ipynb -p name decode_nano -p stage ablation_decode_nano -p preset nano \
        -p data ../data/build/tokens -p rows fused_commit,kv_cache,remask -p decode_checkpoint ../checkpoints/train_cascade_b16 \
        -p remask_prompts 4 -p threads 2 ${ABLATION_ARGS:-} ;;
  scaling_cpu)   # the tiny preset on synthetic tokens (a pipeline check, not the study)
    # shellcheck disable=SC2046,SC2086
    run_nb scaling.ipynb runs/scaling_cpu.ipynb -p stage scaling_cpu $(scaling_args scaling_cpu) ${SCALING_ARGS:-} ;;
  scaling_a|scaling_b)
    if ls data/build/transport/bundle_* >/dev/null 2>&1; then $PY -m cascade.data unpack; fi
    # shellcheck disable=SC2046,SC2086
    run_nb scaling.ipynb "runs/$1.ipynb" -p stage "$1" $(scaling_args "$1") $SCALING_GPU ${SCALING_ARGS:-} ;;
  train_*)
    # Token shards: unpack the transport bundles carried to this machine (verified by sha256) unless already there.
    if ls data/build/transport/bundle_* >/dev/null 2>&1; then $PY -m cascade.data unpack; fi
    # shellcheck disable=SC2046
    $PY -m cascade.train --run "$1" $(train_args "$1") $NANO
    rm -rf "checkpoints/$1" && mkdir -p checkpoints && cp -r "runs/$1/final" "checkpoints/$1"
    $PY -c "import sys; from cascade.hf import hf_layout; hf_layout(sys.argv[1])" "checkpoints/$1" ;;   # tokenizer + HF config beside the weights
  mfu)
    # shellcheck disable=SC2086
    $PY -m cascade.train --run mfu_cascade_d1024 --objective cascade --block_size 16 $MFU
    # shellcheck disable=SC2086
    $PY -m cascade.train --run mfu_ar_d1024 --objective ar --block_size 1 $MFU ;;
  engine_profile)   # issue 15: forward cost of both engines at three shapes (random weights), both attention paths, a kernel profile;
    # ~15 min on an H200, so a 10-minute call runs it in two parts (ENGINE_ARGS, e.g. "--cases 512x8x8:1,2048x24x16:64") and
    # experiments/engine_profile.py --merge joins them
    $PY experiments/engine_profile.py --out results/engine_profile.json ${ENGINE_ARGS:-} ;;
  bench)  $PY -m cascade.bench --checkpoints checkpoints --out results/decode_gpu.json ;;
  judge)  # matched quality (cascade.quality): the judge bounds, and code_line exact match where eval_code has the configuration
    EVAL=""; if [ -f "results/eval_code_line_$PROFILE.json" ]; then EVAL="../results/eval_code_line_$PROFILE.json"; fi
    (cd experiments && $PY -m papermill throughput.ipynb ../runs/throughput.ipynb -k python3 --progress-bar -p eval_result "$EVAL") ;;
  convert)
    if ls data/build/transport/bundle_* >/dev/null 2>&1; then $PY -m cascade.data unpack; fi
    # each step only after the one before succeeded (set -e is off inside run_stage): a failed run never replaces a checkpoint
    $PY experiments/convert_nano.py --teacher checkpoints/train_ar --data data/build/tokens --runs "$CONVERT_RUNS" --train_shards 6 \
        --keep runs/convert/keep --out results/convert_nano.json || return 1
    [ -d "runs/convert/keep/$BEST_B4" ] && [ -d "runs/convert/keep/$TWIN" ] || { echo "convert: kept runs missing" >&2; return 1; }
    rm -rf checkpoints/convert_b4 && cp -r "runs/convert/keep/$BEST_B4" checkpoints/convert_b4 || return 1
    $PY -c "from cascade.hf import hf_layout; hf_layout('checkpoints/convert_b4')" || return 1
    rm -rf checkpoints/twin_ar   # the AR twin, in the causal form the AR paths take (cascade.convert.unshift_ar)
    $PY -c "import torch; from cascade.model import CascadeLM; from cascade.convert import unshift_ar; from cascade.hf import hf_layout
unshift_ar(CascadeLM.from_pretrained('runs/convert/keep/$TWIN')).save_pretrained('checkpoints/twin_ar', dtype=torch.bfloat16); hf_layout('checkpoints/twin_ar')" ;;
  convert_plain)   # the ablation grid's best loss at block 4 (LOG, session 31: plain cross-entropy inside the clipped rates) as a
                   # conversion recipe: each run is a row of results/convert_nano.json with only `_plain` added (same teacher, bundle 00,
                   # windows); not yet run: about 2.5 min each estimated (the 50M rows without _plain trained in 75-80 s on an H200, plus their
                   # likelihood evaluation); CONVERT_PLAIN_RUNS overrides. Teacher (41 MB xz) and bundle 00 (50 MB) exceed one
                   # call's carry: unpack the teacher in a first call on the warm machine and link it (README, GPU section)
    if ls data/build/transport/bundle_* >/dev/null 2>&1; then $PY -m cascade.data unpack; fi
    $PY experiments/convert_nano.py --teacher checkpoints/train_ar --data data/build/tokens --train_shards 6 \
        --runs "${CONVERT_PLAIN_RUNS:-b4_ts_lr1e-3_50M_m0.3-0.8_plain,b16_ts_lr1e-3_50M_m0.3-0.8_plain}" --out results/convert_nano_plain.json ;;
  convert_cc)   # clean-causal conversions (02_model: left to right is the causal LM; + the clean stream's AR loss), block 4 and 16, 150M tokens each
    if ls data/build/transport/bundle_* >/dev/null 2>&1; then $PY -m cascade.data unpack; fi
    $PY experiments/convert_nano.py --teacher checkpoints/train_ar --data data/build/tokens --runs "$CC_B4,$CC_B16" --train_shards 6 \
        --keep runs/convert/keep --out results/convert_nano_cc.json || return 1
    [ -d "runs/convert/keep/$CC_B4" ] || { echo "convert_cc: runs/convert/keep/$CC_B4 missing" >&2; return 1; }
    rm -rf checkpoints/convert_cc_b4 && cp -r "runs/convert/keep/$CC_B4" checkpoints/convert_cc_b4 &&
    $PY -c "from cascade.hf import hf_layout; hf_layout('checkpoints/convert_cc_b4')" ;;
  eval_code_cc)   # code_line, all 1,200 items, on the reference decoder (BlockEngine does not run clean-causal models; VerifyEngine: stage verify_bench), against the twin
    rm -rf runs/cc_eval && mkdir -p runs/cc_eval
    for m in "checkpoints/convert_cc_b4:cc_b4" "runs/convert/keep/$CC_B16:cc_b16"; do   # SDPA copies: the reference decodes many lengths
      $PY -c "import sys, dataclasses; from cascade.model import CascadeLM; from cascade.hf import hf_layout
m = CascadeLM.from_pretrained(sys.argv[1]); m.cfg = dataclasses.replace(m.cfg, attn_backend='sdpa'); m.save_pretrained(sys.argv[2]); hf_layout(sys.argv[2])" "${m%%:*}" "runs/cc_eval/${m##*:}" || return 1
    done
    B4=../runs/cc_eval/cc_b4; B16=../runs/cc_eval/cc_b16; REF=eval_code_line_converted_twin_gpu:ar
    run_nb evaluate.ipynb runs/eval_code_line_cc_b4_gpu.ipynb -p limit 0 -p profile gpu -p batch_size 32 -p result_name eval_code_line_cc_b4_gpu \
        -p configs "ar=twin_ar:ar,cb4_thr=$B4:threshold:0.9,cb4_ent=$B4:entropy:0.5,cb4_k4=$B4:fixed:4" &&
    run_nb evaluate.ipynb runs/eval_code_line_cc_prefix_gpu.ipynb -p limit 0 -p profile gpu -p batch_size 32 -p result_name eval_code_line_cc_prefix_gpu -p reference "$REF" \
        -p configs "b4p9=$B4:prefix:0.9,b4p7=$B4:prefix:0.7,b4p5=$B4:prefix:0.5,b16p9=$B16:prefix:0.9,b16p7=$B16:prefix:0.7" &&
    run_nb evaluate.ipynb runs/eval_code_line_cc_prefix99_gpu.ipynb -p limit 0 -p profile gpu -p batch_size 32 -p result_name eval_code_line_cc_prefix99_gpu -p reference "$REF" \
        -p configs "b4p99=$B4:prefix:0.99,b16p99=$B16:prefix:0.99" ;;
  verify_sample_cc3)   # VerifyEngine sampling (speculative sampling: the causal stream's sampler in distribution) on convert_cc3_b4 against
                       # AREngine sampling at the same temperature 1 / top_p 0.95, batch 1/16/64, prompt 128, 256 new tokens, bf16, a kernel
                       # profile per row; then the same greedy in the same run. VSAMP_AR_RANDOM=1: AR timed with random weights of twin_ar's shape
                       # (a call that cannot carry both checkpoints; every row decodes 256 tokens, so the weights do not change its time) (~6 min)
                       # VSAMP_BATCHES picks the batch sizes (default "1 16 64"); VSAMP_GREEDY=0 skips the greedy run; VSAMP_QUEUE=N adds
                       # verify_bench's part 4 to the sampled run: N prompts through 64 rows by continuous batching against AR's batches (at
                       # 64 rows a static batch runs as many forwards as its slowest row: session 29 measured 1.33 tokens per batch forward
                       # against 1.67 per row step)
    local arr="" vb="${VSAMP_BATCHES:-1 16 64}" vq=""; [ -n "${VSAMP_AR_RANDOM:-}" ] && arr="--ar_random --judge_at 0"
    case "${VSAMP_QUEUE:-}" in "") ;; *[!0-9]*) echo "VSAMP_QUEUE must be a positive integer, got '$VSAMP_QUEUE'" >&2; return 2 ;; *) vq="--queue $VSAMP_QUEUE --queue_batch 64" ;; esac
    # shellcheck disable=SC2086
    $PY experiments/verify_bench.py --cc checkpoints/convert_cc3_b4 --ar checkpoints/twin_ar $arr --task_items 0 --profile --batch_sizes $vb $vq \
        --temperature 1.0 --top_p 0.95 --out results/verify_bench_cc3_b4_sampled.json || return 1
    [ "${VSAMP_GREEDY:-1}" = 0 ] && return 0
    $PY experiments/verify_bench.py --cc checkpoints/convert_cc3_b4 --ar checkpoints/twin_ar $arr --task_items 0 --batch_sizes $vb \
        --out results/verify_bench_cc3_b4_greedy_same.json ;;
  verify_bench)   # the fused draft-and-verify engine (cascade.engine.VerifyEngine) on the clean-causal B4 model: code_line quality
                  # (fp32, all items, paired bootstrap vs the twin and the teacher), then speed vs AREngine on the twin (bf16, batch 1/16/64,
                  # a kernel profile per row, and a queue of 256 prompts through 64 rows: generate_many)
    $PY experiments/verify_bench.py --cc checkpoints/convert_cc_b4 --ar checkpoints/twin_ar --batch_sizes \
        --out results/verify_bench_gpu.json || return 1
    $PY experiments/verify_bench.py --cc checkpoints/convert_cc_b4 --ar checkpoints/twin_ar --task_items 0 --profile --queue 256 \
        --out results/verify_bench_gpu_speed.json ;;
  convert_cc3|convert_cc3_full)   # AR-loss weight 3 at block 4 and 16, then each model's code_line task and speed (VerifyEngine vs AREngine).
    # convert_cc3: bundle 00 only (train shards 0-5, the data of the teacher, its twin and convert_cc): the like-for-like test.
    # convert_cc3_full: EVERY train shard (309M tokens, the three bundles): not like-for-like with them; adds the speed at
    # batch 1/16/64 with the dense and the FlexAttention step mask. convert_cc3 adds the speed at fewer noisy copies (--variants).
    if [ "$1" = convert_cc3 ]; then SHARDS=6; KEEP=runs/convert/keep_b00; TAG=cc3; else SHARDS=20; KEEP=runs/convert/keep; TAG=cc3_full; fi
    if ls data/build/transport/bundle_* >/dev/null 2>&1; then $PY -m cascade.data unpack; fi
    $PY experiments/convert_nano.py --teacher checkpoints/train_ar --data data/build/tokens --runs "$CC3_B4,$CC3_B16" --train_shards $SHARDS \
        --keep $KEEP --out results/convert_nano_$TAG.json || return 1
    if [ "$TAG" = cc3 ]; then   # the block-4 model is committed as checkpoints/convert_cc3_b4 (replaced only once the new copy is complete)
      rm -rf checkpoints/.convert_cc3_b4.new && cp -r "$KEEP/$CC3_B4" checkpoints/.convert_cc3_b4.new &&
        $PY -c "from cascade.hf import hf_layout; hf_layout('checkpoints/.convert_cc3_b4.new')" || return 1
      rm -rf checkpoints/convert_cc3_b4 && mv checkpoints/.convert_cc3_b4.new checkpoints/convert_cc3_b4
    fi
    for m in "$CC3_B4:b4" "$CC3_B16:b16"; do
      K="$KEEP/${m%%:*}"; O="results/verify_bench_${TAG}_${m##*:}"
      $PY experiments/verify_bench.py --cc "$K" --ar checkpoints/twin_ar --batch_sizes 1 64 --out "$O.json" || return 1
      if [ "$TAG" = cc3 ]; then   # speed at fewer noisy copies per step (VerifyEngine(variants=V), same output); v0: the default
        if [ "${m##*:}" = b4 ]; then VS="0 2 1"; else VS="0 4 2"; fi
        for V in $VS; do
          $PY experiments/verify_bench.py --cc "$K" --ar checkpoints/twin_ar --task_items 0 --profile --batch_sizes 1 16 64 \
              $([ "$V" = 0 ] || echo --variants $V) --out "${O}_v$V.json" || return 1
        done
        continue
      fi
      for A in sdpa flex; do
        $PY experiments/verify_bench.py --cc "$K" --ar checkpoints/twin_ar --task_items 0 --profile --batch_sizes 1 16 64 --attn $A --out "${O}_$A.json" || return 1
      done
    done ;;
  serve_http)  # cascade serve end to end over HTTP (server subprocess, 512 streaming requests at once): block-4 vs the AR twin, 3 bursts each (~3 min)
    # (not regenerated: serve_http_gpu_variants.json, _gpu.json and _gpu_repeat.json, the session-14 bursts before this one; LOG.md)
    $PY experiments/serve_http.py --cc checkpoints/convert_cc3_b4 --ar checkpoints/twin_ar --requests 512 --max_batch 64 --variants new \
        --clients raw --repeats 3 --out results/serve_http_gpu_r3.json ;;
  serve_load)  # cascade serve's scheduler under a burst of 512 varied-length requests: verify continuous vs batch by batch, the AR twin continuous (5 chunks) and static (~3 min)
    $PY experiments/serve_load.py --cc checkpoints/convert_cc3_b4 --ar checkpoints/twin_ar --requests 512 --max_batch 64 16 \
        --ar_chunk 4 1 2 8 16 --out results/serve_load_gpu.json ;;
  task_cc3_bf16)  # code_line decoded by VerifyEngine in bf16 (the speeds' precision; convert_cc3's verdict decodes in fp32) vs the twin's bf16 scores (~1 min)
    $PY experiments/verify_bench.py --cc checkpoints/convert_cc3_b4 --ar checkpoints/twin_ar --ar_random --task_items 1200 --task_dtype bf16 \
        --batch_sizes --out results/verify_bench_cc3_b4_bf16.json ;;
  queue_cc3)  # continuous batching (generate_many) of convert_cc3_b4 against AR's static batches, 1,024 prompts; refill policies; a profile (~10 min)
    # (not regenerated: verify_bench_cc3_b4_queue.json and queue_profile_cc3_b4_v1.json, the first version's runs at 377b38f, and
    #  verify_bench_cc3_b4_queue4_before.json, the host waiting for every replay at 18735fd, run beside _queue4 from `git archive 18735fd cascade`)
    $PY experiments/verify_bench.py --cc checkpoints/convert_cc3_b4 --ar checkpoints/twin_ar --ar_random --task_items 0 --batch_sizes --repeats 3 \
        --queue 1024 --queue_batch 64 32 16 --max_refill 16 --refill_at 0 --out results/verify_bench_cc3_b4_queue4.json || return 1
    $PY experiments/verify_bench.py --cc checkpoints/convert_cc3_b4 --ar checkpoints/twin_ar --ar_random --task_items 0 --batch_sizes --repeats 3 \
        --queue 1024 --queue_batch 128 64 --max_refill 16 --refill_at 0 --out results/verify_bench_cc3_b4_queue5.json || return 1
    $PY experiments/verify_bench.py --cc checkpoints/convert_cc3_b4 --ar checkpoints/twin_ar --ar_random --task_items 0 --batch_sizes 64 16 --repeats 3 \
        --queue 1024 --queue_batch 64 16 --max_refill 16 --refill_at 1 0 16 --out results/verify_bench_cc3_b4_queue2.json || return 1
    $PY experiments/verify_bench.py --cc checkpoints/convert_cc3_b4 --ar checkpoints/twin_ar --ar_random --task_items 0 --batch_sizes 32 --repeats 5 \
        --queue 1024 --queue_batch 64 32 --max_refill 16 --refill_at 0 4 --out results/verify_bench_cc3_b4_queue3.json || return 1
    $PY experiments/queue_profile.py --cc checkpoints/convert_cc3_b4 --queue 1024 --batch 64 --max_refill 16 --out results/queue_profile_cc3_b4.json ;;
  serve_latency)  # a server's stream of batches through the engine backend: a fresh engine per batch vs EngineCache (random weights)
    $PY experiments/serve_latency.py --batches 12 --out results/serve_latency_gpu.json ;;
  verify_step)    # VerifyEngine's compiled step against the eager one, back to back on one GPU (batch 1 and 64, kernel profiles)
    $PY experiments/verify_bench.py --cc checkpoints/convert_cc_b4 --ar checkpoints/twin_ar --task_items 0 --profile --queue 256 \
        --compile_step --out results/verify_bench_gpu_compile_step.json || return 1
    $PY experiments/verify_bench.py --cc checkpoints/convert_cc_b4 --ar checkpoints/twin_ar --task_items 0 --profile --batch_sizes 1 64 \
        --no-compile_step --out results/verify_bench_gpu_plain.json ;;
  eval_judge_cc3)   # the judge half of the matched-quality rule for convert_cc3_b4: all 64 greedy 128-token judge prompts, CPU (--stage only)
    run_nb evaluate_judge.ipynb runs/eval_judge_cc3_cpu.ipynb -p limit 0 -p tasks judge_greedy_128 -p profile cpu -p result_name eval_judge_cc3_cpu \
        -p configs "twin=twin_ar:ar,cc3_verify=convert_cc3_b4:verify,cc3_p9=convert_cc3_b4:prefix:0.9" ;;
  eval_judge_order_b4)   # which half of convert_b4's judge gap is the order of commitment: at one token per forward, confidence order
                         # (fixed:4) against left to right (prefix:0.9999: the leftmost masked token each step, the next only if its
                         # confidence is above 0.9999), and prefix:0.9; the AR teacher; all 64 prompts, 128 tokens greedy and sampled, CPU (--stage only)
    run_nb evaluate_judge.ipynb runs/eval_judge_order_b4_cpu.ipynb -p limit 0 -p tasks judge_greedy_128,judge_sample_128 -p profile cpu \
        -p result_name eval_judge_order_b4_cpu -p configs "ar=train_ar:ar,cb4_k4=convert_b4:fixed:4,cb4_l2r=convert_b4:prefix:0.9999,cb4_p9=convert_b4:prefix:0.9" ;;
  eval_judge_prefix_b4)   # the judge half for the faster left-to-right rule prefix:0.7 (matched on code_line at 0.785 forwards/token) and the
                          # AR teacher, all 64 greedy 128-token prompts, CPU (--stage only, ~10 min on 2 cores)
    run_nb evaluate_judge.ipynb runs/eval_judge_prefix_b4_cpu.ipynb -p limit 0 -p tasks judge_greedy_128 -p profile cpu \
        -p result_name eval_judge_prefix_b4_cpu -p configs "ar=train_ar:ar,cb4_p7=convert_b4:prefix:0.7" ;;
  eval_judge_verify_cc3)   # sampled draft and verify (speculative sampling: exactly the clean stream's sampler in distribution) on the
                           # clean-causal convert_cc3_b4, against the AR teacher and the AR twin, greedy and sampled 128-token prompts,
                           # all 64, CPU (--stage only, ~20 min on 2 cores)
    run_nb evaluate_judge.ipynb runs/eval_judge_verify_cc3_cpu.ipynb -p limit 0 -p tasks judge_greedy_128,judge_sample_128 -p profile cpu \
        -p result_name eval_judge_verify_cc3_cpu -p configs "ar=train_ar:ar,twin=twin_ar:ar,cc3v=convert_cc3_b4:verify" ;;
  eval_judge_twin_b4)   # is the sampled judge gap the conversion or the extra training? convert_b4 left to right (prefix:0.9999) and prefix:0.7
                        # against the AR twin (the teacher continued on the same tokens: the fair baseline), greedy and sampled 128-token
                        # prompts, all 64, CPU (--stage only, ~20 min on 2 cores)
    run_nb evaluate_judge.ipynb runs/eval_judge_twin_b4_cpu.ipynb -p limit 0 -p tasks judge_greedy_128,judge_sample_128 -p profile cpu \
        -p result_name eval_judge_twin_b4_cpu -p configs "twin=twin_ar:ar,cb4_l2r=convert_b4:prefix:0.9999,cb4_p7=convert_b4:prefix:0.7" ;;
  eval_code_prefix_b4)   # convert_b4's left-to-right prefix rule (prefix:0.9, 0.7) through lm-eval on all 1,200 code_line items against the
                         # teacher's per-item scores of the GPU run, CPU (reference decoders; ~25 min on 2 cores, --stage only)
    run_nb evaluate.ipynb runs/eval_code_line_prefix_b4_cpu.ipynb -p limit 0 -p profile cpu -p batch_size 16 -p result_name eval_code_line_prefix_b4_cpu \
        -p reference eval_code_line_converted_twin_gpu:teacher -p configs "cb4_p9=convert_b4:prefix:0.9,cb4_p7=convert_b4:prefix:0.7" ;;
  eval_code_cc3)   # convert_cc3_b4 through lm-eval on all 1,200 code_line items, CPU (reference decoders), ~50 min on 2 cores (--stage only):
                   # rules verify, prefix:0.9, 0.7 and 0.5 against the twin's per-item scores of the GPU run
    rm -rf runs/cc_eval/cc3_b4 && mkdir -p runs/cc_eval
    $PY -c "import sys, dataclasses; from cascade.model import CascadeLM; from cascade.hf import hf_layout
m = CascadeLM.from_pretrained(sys.argv[1]); m.cfg = dataclasses.replace(m.cfg, attn_backend='sdpa'); m.save_pretrained(sys.argv[2]); hf_layout(sys.argv[2])" \
        checkpoints/convert_cc3_b4 runs/cc_eval/cc3_b4 || return 1
    run_nb evaluate.ipynb runs/eval_code_line_cc3_cpu.ipynb -p limit 0 -p profile cpu -p batch_size 16 -p result_name eval_code_line_cc3_cpu \
        -p reference eval_code_line_converted_twin_gpu:ar -p configs "cc3_verify=../runs/cc_eval/cc3_b4:verify,cc3_p9=../runs/cc_eval/cc3_b4:prefix:0.9" &&
    run_nb evaluate.ipynb runs/eval_code_line_cc3_prefix_cpu.ipynb -p limit 0 -p profile cpu -p batch_size 16 -p result_name eval_code_line_cc3_prefix_cpu \
        -p reference eval_code_line_converted_twin_gpu:ar -p configs "cc3_p7=../runs/cc_eval/cc3_b4:prefix:0.7,cc3_p5=../runs/cc_eval/cc3_b4:prefix:0.5" ;;
  verify_probe)   # draft and verify (cascade.sampler.generate_verify, cached) on all 1,200 code_line prompts, CPU, ~30 min on 2 cores (--stage only);
                  # the block-16 model is convert_cc's kept run when this tree has it
    B16=""; [ -f "runs/convert/keep/$CC_B16/config.json" ] && B16="runs/convert/keep/$CC_B16"
    # shellcheck disable=SC2086
    OMP_NUM_THREADS=2 $PY experiments/verify_probe.py --threads 2 --checkpoints checkpoints/convert_cc_b4 $B16 --items 1200 --context 1024 --out results/verify_probe_full_cpu.json ;;
  bench_converted)   # the 50M-token, lr 1e-3 conversions kept by the convert stage, against their teacher
    ln -sfn "$(pwd)/checkpoints/train_ar" runs/convert/keep/train_ar
    $PY -m cascade.bench --checkpoints runs/convert/keep --models ar=train_ar,b16=b16_ts_lr1e-3_50M,b4=b4_ts_lr1e-3_50M \
        --repeats 3 --eager_at --out results/decode_gpu_converted.json ;;
  bench_converted_best)   # the best recipe per block size, each against the teacher measured in the same run
    ln -sfn "$(pwd)/checkpoints/train_ar" runs/convert/keep/train_ar
    $PY -m cascade.bench --checkpoints runs/convert/keep --models "ar=train_ar,b4=$BEST_B4" --repeats 3 --out results/decode_gpu_converted_b4.json
    $PY -m cascade.bench --checkpoints runs/convert/keep --models "ar=train_ar,b16=$BEST_B16" --repeats 3 --out results/decode_gpu_converted_b16.json ;;
  bench_twin)   # convert_b4 against its AR twin (the fair bar), measured in the same run
    $PY -m cascade.bench --checkpoints checkpoints --models ar=twin_ar,b4=convert_b4 --repeats 3 --eager_at --out results/decode_gpu_converted_b4_twin.json ;;
  eval_code_twin)   # code_line, all 1,200 items: the twin (the reference of the matched-quality rule), the teacher, convert_b4's rules
    run_nb evaluate.ipynb runs/eval_code_line_converted_twin_gpu.ipynb -p limit 0 -p profile gpu -p batch_size 32 -p result_name eval_code_line_converted_twin_gpu \
        -p configs "ar=twin_ar:ar,teacher=train_ar:ar,b4_k4=convert_b4:fixed:4,b4_thr=convert_b4:threshold:0.9,b4_ent=convert_b4:entropy:0.5,b4_k2=convert_b4:fixed:2" ;;
  judge_twin)   # the judge on bench_twin's samples, gated by eval_code_twin's exact match (CPU is fine: ~10 min)
    (cd experiments && $PY -m papermill throughput.ipynb ../runs/judge_converted_b4_twin.ipynb -k python3 --progress-bar \
        -p decode ../results/decode_gpu_converted_b4_twin.json -p out ../results/judge_converted_b4_twin.json -p eval_result ../results/eval_code_line_converted_twin_gpu.json) ;;
  judge_converted_best)
    for m in b4 b16; do
      (cd experiments && $PY -m papermill throughput.ipynb "../runs/judge_converted_$m.ipynb" -k python3 --progress-bar \
          -p decode "../results/decode_gpu_converted_$m.json" -p out "../results/judge_converted_$m.json")
    done ;;
  convert_smollm2)   # each call does what its carried inputs allow; state lives in /root/keep between the calls of a chain
    PYTHONPATH=".carry/smol_b/pylib${PYTHONPATH:+:$PYTHONPATH}" $PY experiments/convert_smollm2.py --keep /root/keep --run "$SMOL_RUN" --twin "$SMOL_TWIN" \
        --out results/convert_smollm2.json ${SMOL_ARGS:-} ;;   # SMOL_ARGS: e.g. "--time_limit_s 360" for a call that also unpacks
  smollm2_cc3)   # SmolLM2 -> clean-causal B4 + AR twin, lm-eval tasks, decode speed: one warm chain of calls, each running this (README)
    bash experiments/smollm2_chain.sh ;;
  smollm2_kd3)   # the same chain with the clean stream distilled from the teacher (README, "Distillation instead of hard labels"),
                 # judged against the teacher on 2,000 items per task; then the same speed run on FlexAttention (padded query groups)
    SMOL_RUN=b4_ts_lr5e-4_20M_m0.3-0.8_kd3 SMOL_TWIN= SMOL_TAG=kd3 SMOL_REF=teacher EVAL_ARGS="--limit 2000 --batch_size 64" \
      bash experiments/smollm2_chain.sh
    R=/root/keep/models/b4_ts_lr5e-4_20M_m0.3-0.8_kd3
    [ -f results/verify_bench_smollm2_kd3.json ] && [ -d "$R" ] && $PY experiments/verify_bench.py --cc $R --ar /root/keep/teacher_ar \
      --tokenizer $R --val_tokens /root/keep/tokens --task_items 0 --batch_sizes 1 16 64 --repeats 2 --batch1_prompts 4 --queue 256 \
      --queue_batch 64 --attn flex --flex_gqa --out results/verify_bench_smollm2_kd3_flex.json ;;
  smollm2_dkd3sfx)   # distilled drafts on suffix masks besides the clean stream's distillation (LOG, session 18): the same chain
    SMOL_RUN=b4_ts_lr5e-4_20M_kd3_dkd3_sfx SMOL_TWIN= SMOL_TAG=dkd3sfx SMOL_REF=teacher EVAL_ARGS="--limit 2000 --batch_size 64" \
      bash experiments/smollm2_chain.sh ;;
  smollm2_dkd3sfxhl0)   # the same without hard labels (_hl0): both streams' targets are the teacher's distributions
    SMOL_RUN=b4_ts_lr5e-4_20M_kd3_dkd3_sfx_hl0 SMOL_TWIN= SMOL_TAG=dkd3sfxhl0 SMOL_REF=teacher EVAL_ARGS="--limit 2000 --batch_size 64" \
      bash experiments/smollm2_chain.sh ;;
  smollm2_kd10dkd3sfxhl0)   # the same with the clean stream's distillation weighted ten: the run shown matched on all but ARC-Easy's
                            # validation split, at 1.46x AR for one sequence (LOG, session 19)
    SMOL_RUN=b4_ts_lr5e-4_20M_kd10_dkd3_sfx_hl0 SMOL_TWIN= SMOL_TAG=kd10dkd3sfxhl0 SMOL_REF=teacher EVAL_ARGS="--limit 2000 --batch_size 64" \
      bash experiments/smollm2_chain.sh ;;
  smollm2_kd10dkd3sfxhl0s1)   # its repeat with seed 1 (data order, training noise), judged by the pooled rule written before it ran
                              # (LOG, session 20); then, on the same warm machine, fewer noisy copies per step at 16 and 64 rows
                              # (VerifyEngine variants 4, 2, 1: narrower forwards, fewer drafts) with a kernel profile per row
    # --per_request 256: generate_until on 256 code_line items batched (64 rows) and one request at a time (issue 13's bar)
    SMOL_RUN=b4_ts_lr5e-4_20M_kd10_dkd3_sfx_hl0_seed1 SMOL_TWIN= SMOL_TAG=kd10dkd3sfxhl0s1 SMOL_REF=teacher EVAL_ARGS="--limit 2000 --batch_size 64 --per_request 256" \
      bash experiments/smollm2_chain.sh
    R=/root/keep/models/b4_ts_lr5e-4_20M_kd10_dkd3_sfx_hl0_seed1
    for V in 4 2 1; do                                                   # each variants run once (a complete file has its queue)
      F=results/verify_bench_smollm2_kd10dkd3sfxhl0s1_v$V.json
      grep -q '"queues"' "$F" 2>/dev/null && continue
      [ -f results/verify_bench_smollm2_kd10dkd3sfxhl0s1.json ] && [ -d "$R" ] && timeout 400 $PY experiments/verify_bench.py --cc $R \
        --ar /root/keep/teacher_ar --tokenizer $R --val_tokens /root/keep/tokens --task_items 0 --batch_sizes 16 64 --repeats 2 --queue 256 \
        --queue_batch 64 --variants $V --profile --out $F || true
    done ;;
  verify_shapes_smollm2)   # the verify engine's forward at SmolLM2-135M's shape with random weights, 4/2/1 noisy copies per
                           # step, batch 1/16/64, kernel profiles (issue 15; ~8 min on an H100, no model carried)
    $PY experiments/verify_shapes.py --shape smollm2 --variants 4 2 1 --attn sdpa --out results/verify_shapes_smollm2.json ;;
  verify_packed_smollm2)   # the decode attention's formulations timed at SmolLM2's shape, then the engines with the grouped query
                           # heads packed against unpacked, 4 noisy copies, batch 1/16/64 (issue 15; ~6 min on an H100, nothing carried;
                           # the committed run is code 7c7e711, where --ar_attn packed still packed AR's one-query forwards)
    $PY experiments/attn_layouts.py --out results/attn_layouts_smollm2.json
    $PY experiments/verify_shapes.py --shape smollm2 --variants 4 --attn packed --ar_attn packed --out results/verify_shapes_smollm2_packed.json
    $PY experiments/verify_shapes.py --shape smollm2 --variants 4 --attn sdpa --out results/verify_shapes_smollm2_sdpa.json ;;
  batch_sync_queue)   # the same prompts through one engine's 64 rows by continuous batching (decode_queue; eager, CPU): batch forwards per token, ~14 min on one core (--stage only)
    $PY experiments/batch_sync_cost.py --engine queue --items 256 --batch 64 --threads 1 \
        --rules "fixed:4,entropy:0.5,stop:results/heads/stop_head_b4_entropy_cpu_lam0.1.safetensors" --out results/batch_sync_cost_queue_cpu.json && \
      $PY experiments/batch_sync_cost.py --engine queue --checkpoint checkpoints/train_ar --rules ar --items 256 --batch 64 --threads 1 --out results/batch_sync_cost_queue_ar_cpu.json ;;
  batch_sync_row)   # the same batches decoded by BlockEngine(advance='row') (eager, CPU): its forwards against batch_sync_cost's async estimate (--stage only)
    $PY experiments/batch_sync_cost.py --engine row --items 256 --batch 64 --threads 1 \
        --rules "fixed:4,threshold:0.9,entropy:0.5,stop:results/heads/stop_head_b4_entropy_cpu_lam0.1.safetensors" --out results/batch_sync_cost_row_cpu.json ;;
  batch_sync_cost)   # what a batch of 64 pays for rows stepping at different rates: the reference sampler on the 256 longest
                     # code_line prompts, six rules of convert_b4 and the AR teacher (CPU, --stage only; ~22 min on one core, LOG session 25)
    $PY experiments/batch_sync_cost.py --items 256 --batch 64 --out results/batch_sync_cost_cpu.json && \
      $PY experiments/batch_sync_cost.py --checkpoint checkpoints/train_ar --rules ar --items 256 --batch 64 --threads 2 --out results/batch_sync_cost_ar_cpu.json ;;
  stop_cost)   # the stop head's cost per forward on BlockEngine against its path rule alone, nano shape, random weights (issue 14; ~2 min)
    $PY experiments/stop_cost.py --head results/heads/stop_head_b4_entropy_cpu_lam0.1.safetensors --out results/stop_cost_gpu.json ;;
  queue_b4_gpu)   # generate_until by continuous batching (CascadeEvalLM queue=true, RULE@queue) against static batches, AR and convert_b4,
                  # code_line, all items, 64 rows, compiled (the carries of pareto_b4_gpu; ~3 min estimated)
    o="${PARETO_OUT:-results}"; case "$o" in /*) ;; *) o="../$o" ;; esac
    run_nb evaluate.ipynb runs/eval_code_line_pareto_b4_queue_gpu.ipynb -p limit "${PARETO_FULL_LIMIT:-0}" -p profile gpu -p batch_size "${PARETO_FULL_BATCH:-64}" \
        -p result_name eval_code_line_pareto_b4_queue_gpu -p results_dir "$o" -p reference eval_code_line_converted_twin_gpu:teacher \
        -p configs "${QUEUE_RUN_CONFIGS:-$QUEUE_CONFIGS}" -p compile "${PARETO_COMPILE:-True}" ;;
  per_request_b4_gpu)   # issue 13's bar: generate_until batched (64 rows, static and continuous) against one request at a time, on the same
                        # first 256 code_line items, the AR teacher and convert_b4, compiled (the carries of pareto_b4_gpu; ~4 min estimated).
                        # PER_REQUEST_PART=ar|cb4 runs one model's rows into <stem>_ar / <stem>_cb4 files (a call that carries one checkpoint)
    o="${PARETO_OUT:-results}"; case "$o" in /*) ;; *) o="../$o" ;; esac
    local pc="$PER_REQUEST_CONFIGS" p1="$PER_REQUEST_BS1_CONFIGS" tag=""
    case "${PER_REQUEST_PART:-}" in
      "") ;;
      ar) pc="ar=train_ar:ar,arq=train_ar:ar@queue"; p1="ar=train_ar:ar"; tag=_ar ;;
      cb4) pc="${PER_REQUEST_CONFIGS#ar=train_ar:ar,arq=train_ar:ar@queue,}"; p1="${PER_REQUEST_BS1_CONFIGS#ar=train_ar:ar,}"; tag=_cb4 ;;
      *) echo "PER_REQUEST_PART must be ar or cb4, got '$PER_REQUEST_PART'" >&2; return 2 ;;
    esac
    local nb="${PER_REQUEST_BATCH:-64}"   # the batched rows' width; another than 64 writes <stem>_b<N>_gpu.json beside it
    case "$nb" in ''|*[!0-9]*|0) echo "PER_REQUEST_BATCH must be a positive integer, got '$nb'" >&2; return 2 ;; esac
    [ "$nb" = 64 ] || tag="${tag}_b$nb"
    run_nb evaluate.ipynb "runs/eval_code_line_per_request_b4${tag}_gpu.ipynb" -p limit "${PER_REQUEST_N:-256}" -p profile gpu -p batch_size "$nb" \
        -p result_name "eval_code_line_per_request_b4${tag}_gpu" -p results_dir "$o" -p reference eval_code_line_converted_twin_gpu:teacher \
        -p configs "$pc" -p compile "${PARETO_COMPILE:-True}" || return 1
    run_nb evaluate.ipynb "runs/eval_code_line_per_request_b4${tag}_bs1_gpu.ipynb" -p limit "${PER_REQUEST_N:-256}" -p profile gpu -p batch_size 1 \
        -p result_name "eval_code_line_per_request_b4${tag}_bs1_gpu" -p results_dir "$o" -p reference eval_code_line_converted_twin_gpu:teacher \
        -p configs "$p1" -p compile "${PARETO_COMPILE:-True}" ;;
  row_advance_b4_gpu)   # BlockEngine(advance='row') against the batch engine on convert_b4, the same rules in one pass with the AR teacher:
                        # code_line, all 1,200 items at batch 64, compiled (the carries of pareto_b4_gpu; 6 rules took 126 s in session 27, the 15 of ROW_ADVANCE_CONFIGS ~5 min)
    o="${PARETO_OUT:-results}"; case "$o" in /*) ;; *) o="../$o" ;; esac
    run_nb evaluate.ipynb runs/eval_code_line_pareto_b4_row_gpu.ipynb -p limit "${PARETO_FULL_LIMIT:-0}" -p profile gpu -p batch_size "${PARETO_FULL_BATCH:-64}" \
        -p result_name eval_code_line_pareto_b4_row_gpu -p results_dir "$o" -p reference eval_code_line_converted_twin_gpu:teacher \
        -p configs "${ROW_CONFIGS:-$ROW_ADVANCE_CONFIGS}" -p compile "${PARETO_COMPILE:-True}" ;;
  pareto_b4_gpu)   # convert_b4's tokens/s against code_line exact match on the GPU engine, 14 rules and the AR teacher (PARETO_CONFIGS);
                   # checkpoints/convert_b4 may be a link to where the device calls put it (README, "Pareto frontier on the GPU")
    o="${PARETO_OUT:-results}"; case "$o" in /*) ;; *) o="../$o" ;; esac
    REF=eval_code_line_converted_twin_gpu:teacher
    CMP="${PARETO_COMPILE:-True}"
    if [ "${PARETO_FULL:-1}" != 0 ]; then
      run_nb evaluate.ipynb runs/eval_code_line_pareto_b4_gpu.ipynb -p limit "${PARETO_FULL_LIMIT:-0}" -p profile gpu -p batch_size "${PARETO_FULL_BATCH:-64}" \
          -p result_name eval_code_line_pareto_b4_gpu -p results_dir "$o" -p reference "$REF" -p configs "${PARETO_RUN_CONFIGS:-$PARETO_CONFIGS}" -p compile "$CMP" || return 1
    fi
    for B in ${PARETO_BATCHES:-16 1}; do
      run_nb evaluate.ipynb "runs/eval_code_line_pareto_b4_bs${B}_gpu.ipynb" -p limit "${PARETO_N:-256}" -p profile gpu -p batch_size "$B" \
          -p result_name "eval_code_line_pareto_b4_bs${B}_gpu" -p results_dir "$o" -p reference "$REF" -p configs "${PARETO_RUN_CONFIGS:-$PARETO_CONFIGS}" -p compile "$CMP" || return 1
    done ;;
  nano_dkd_pilot)   # the nano pilot of that recipe: three 5M-token conversions of train_ar and their verify acceptance (~3 min)
    NANO_DIR=runs/nano_dkd_pilot/work bash experiments/nano_dkd_pilot.sh all ;;
  judge_converted)
    (cd experiments && $PY -m papermill throughput.ipynb ../runs/judge_converted.ipynb -k python3 --progress-bar \
        -p decode ../results/decode_gpu_converted.json -p out ../results/judge_converted.json) ;;
  eval_code)   # lm-eval on the held-out kernel-C line task (issue 13): the CPU profile the first 100 items, the GPU profile all 1,200.
                # EVAL_CODE_PART=ar|b4|b16 runs one checkpoint's rows (a device call carries one 42 MB checkpoint): ar first, then b4
                # and b16 judged against its file (<stem>_ar.json), writing eval_code_line_<profile>_<part>.json; b4clip and b16clip:
                # the train_clip_cascade_* nanos (their stages below), at the same rules
    if [ "$PROFILE" = gpu ]; then LIMIT=0; else LIMIT=100; fi
    local stem="eval_code_line_$PROFILE" cf="" ref=""
    case "${EVAL_CODE_PART:-}" in
      "") ;;
      ar) cf="ar=train_ar:ar" ;;
      b4) cf="b4_k4=train_cascade_b4:fixed:4,b4_k2=train_cascade_b4:fixed:2,b4_thr=train_cascade_b4:threshold:0.9"; ref="${stem}_ar:ar" ;;
      b16) cf="b16_k16=train_cascade_b16:fixed:16,b16_k4=train_cascade_b16:fixed:4,b16_thr=train_cascade_b16:threshold:0.9,b16_ent=train_cascade_b16:entropy:0.5"; ref="${stem}_ar:ar" ;;
      b4clip) cf="b4c_k4=train_clip_cascade_b4:fixed:4,b4c_k2=train_clip_cascade_b4:fixed:2,b4c_thr=train_clip_cascade_b4:threshold:0.9"; ref="${stem}_ar:ar" ;;
      b16clip) cf="b16c_k16=train_clip_cascade_b16:fixed:16,b16c_k4=train_clip_cascade_b16:fixed:4,b16c_thr=train_clip_cascade_b16:threshold:0.9,b16c_ent=train_clip_cascade_b16:entropy:0.5"; ref="${stem}_ar:ar" ;;
      *) echo "repro.sh: EVAL_CODE_PART must be ar, b4, b16, b4clip or b16clip, got '${EVAL_CODE_PART}'" >&2; return 1 ;;
    esac
    [ -z "${EVAL_CODE_PART:-}" ] || stem="${stem}_${EVAL_CODE_PART}"
    run_nb evaluate.ipynb "runs/$stem.ipynb" -p limit "$LIMIT" -p profile "$PROFILE" -p result_name "$stem" ${cf:+-p configs "$cf"} ${ref:+-p reference "$ref"} ;;
  eval_judge)  # the judge metrics as lm-eval tasks (issue 13): AR vs convert_b4; CPU (--stage eval_judge, ~20 min): 16 greedy 128-token prompts
    # GPU: the decoders only (SmolLM2's GGUF, the judge, does not travel beside two checkpoints) -> judge_pairs_eval_judge_gpu.json;
    # then eval_judge_score scores those pairs anywhere (on 2 CPU cores an estimated 30-40 min, not yet run) -> eval_judge_gpu.json
    if [ "$PROFILE" = gpu ]; then LIMIT=0; TASKS=$JUDGE_TASKS_ALL; STAGE=decode; else LIMIT=16; TASKS=judge_greedy_128; STAGE=all; fi
    run_nb evaluate_judge.ipynb "runs/eval_judge_$PROFILE.ipynb" -p limit "$LIMIT" -p tasks "$TASKS" -p profile "$PROFILE" -p stage "$STAGE" ;;
  eval_judge_score)  # the judge (SmolLM2-135M) on the GPU decode's pairs: runs on any machine, with the GPU profile's names
    run_nb evaluate_judge.ipynb runs/eval_judge_gpu_score.ipynb -p limit 0 -p tasks "$JUDGE_TASKS_ALL" -p profile gpu -p stage judge ;;
  report) $PY -m cascade.report build --results results --figures figures --paper paper
          $PY -m cascade.report check paper/main.tex ;;
  paper)  scripts/build_paper.sh ;;
  *) echo "repro.sh: unknown stage $1 for profile $PROFILE" >&2; return 2 ;;
esac; }

# a stage's key: its inputs' hashes; an input absent here (a device call carries one checkpoint of several) enters the key as
# absent instead of failing the run after the stage has written its results
key() { { echo "$1 $PROFILE"; for f in $(deps "$1"); do sha256sum "$f" 2>/dev/null || echo "absent $f"; done; } | sha256sum | cut -d' ' -f1; }
up_to_date() {
  local outs; outs=$(outputs "$1"); [ -n "$outs" ] || return 1
  for o in $outs; do [ -f "$o" ] || return 1; done
  [ -f "results/.keys/$1" ] && [ "$(cat "results/.keys/$1")" = "$(key "$1")" ]
}

if [ "$PROFILE" = gpu ]; then ALL=("${GPU_STAGES[@]}"); else ALL=("${CPU_STAGES[@]}"); fi
[ "$LIST" = 1 ] && { printf '%s\n' "${ALL[@]}"; exit 0; }
[ ${#STAGES[@]} -gt 0 ] || STAGES=("${ALL[@]}")

T0=$(date +%s)
for s in "${STAGES[@]}"; do
  if [ "$FORCE" = 0 ] && up_to_date "$s"; then echo "[repro] $s: up to date, skipped (--force reruns)"; continue; fi
  echo "[repro] $s: running (log: runs/$s.log)"
  t=$(date +%s)
  if ! run_stage "$s" > >(tee "runs/$s.log") 2>&1; then echo "[repro] $s FAILED; see runs/$s.log" >&2; exit 1; fi
  [ -n "$(outputs "$s")" ] && key "$s" > "results/.keys/$s"
  echo "[repro] $s: done in $(( $(date +%s) - t ))s"
done
echo "[repro] profile $PROFILE finished in $(( $(date +%s) - T0 ))s"
