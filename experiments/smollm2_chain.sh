#!/usr/bin/env bash
# SmolLM2-135M -> clean-causal CASCADE-B4 and its AR twin, then lm-eval tasks and the decode speed, on one GPU machine
# (issues 12 and 13). A device call carries at most 64 MiB and runs at most 10 minutes, and the converted models
# (540 MB each) cannot come back, so every call of one warm chain runs THIS script, which does the next thing its
# inputs allow; state lives in $KEEP between back-to-back calls:
#   calls 1-3  GGUF part 0, part 1 (+ the shards' tokenizer), the token bundle: experiments/convert_smollm2.py keeps,
#              joins, converts, unpacks, and starts training (README, "SmolLM2-135M on the GPU");
#   next       training runs on (each call stops after $LIMIT s with a checkpoint) until both runs are trained,
#              evaluated (L2R / ELBO ratios) and saved to $KEEP/models/<run>;
#   next       experiments/evaluate_tasks.py: teacher, twin and CASCADE (rule verify) on LAMBADA, HellaSwag (4,000 items
#              each), PIQA (1,838), ARC-Easy (570 validation, 2,376 test) and code_line (1,200), the matched-quality verdict
#              against the twin (or the teacher without one);
#   last       experiments/verify_bench.py: VerifyEngine on the CASCADE model against AREngine on the teacher's real
#              weights (the same shape), bf16, graphs + compile, batch 1/16/64 and a queue of 256 through 64 rows.
# Every call copies what exists of the three results (and the logs) into $OUT, so they come back as they appear.
#   KEEP=/root/keep SMOL_RUN=... SMOL_TWIN=... SMOL_TAG=... LIMIT=450 bash experiments/smollm2_chain.sh
# SMOL_TAG names the result files (default cc3: results/convert_smollm2_cc3.json, eval_smollm2_gpu.json,
# verify_bench_smollm2.json; else convert_smollm2_<tag>.json, eval_smollm2_<tag>_gpu.json, verify_bench_smollm2_<tag>.json).
# SMOL_REF=teacher judges the CASCADE model against the teacher although a twin is evaluated (a distilled run's yardstick);
# SMOL_BENCH=0 skips the speed step, SMOL_EVAL=0 the tasks (the speed step then follows the training). Two runs on one warm machine share $KEEP (the teacher, the tokens and a trained twin,
# cached in $KEEP/rows): run the chain for one SMOL_RUN/SMOL_TAG, then for the next.
# CONVERT_ARGS, TASKS, EVAL_ARGS and BENCH_ARGS add to / replace the steps' arguments (README, "Distillation instead of hard
# labels": the whole chain on the CPU with a tiny random Llama).
set -uo pipefail
cd "$(dirname "$0")/.."
KEEP=${KEEP:-/root/keep}; RUN=${SMOL_RUN:-b4_ts_lr5e-4_20M_m0.3-0.8_cc3}; TWIN=${SMOL_TWIN-ar_lr5e-4_20M}   # SMOL_TWIN='': no twin (judged against the teacher)
LIMIT=${LIMIT:-450}; DEST=${OUT:-results}; CALL_S=${CALL_S:-570}   # CALL_S: this call's own time (one device command runs <= 600 s)
TAG=${SMOL_TAG:-cc3}   # names the results: cc3 (the default run) keeps the names of the first such runs, another tag gets its own files
W=$KEEP/work   # the steps write here; finished files go to $KEEP/results and to $DEST (the repo's results/ only without $OUT)
if [ "$TAG" = cc3 ]; then CONV=$W/convert_smollm2_cc3.json; EVAL=$W/eval_smollm2_gpu.json; BENCH=$W/verify_bench_smollm2.json
else CONV=$W/convert_smollm2_$TAG.json; EVAL=$W/eval_smollm2_${TAG}_gpu.json; BENCH=$W/verify_bench_smollm2_$TAG.json; fi
mkdir -p "$KEEP" "$KEEP/work" "$DEST"
for w in .whl .whl_eval .whl_f; do                                    # carried wheels (fastcore; lm-eval for the task call)
  ls $w/*.whl >/dev/null 2>&1 && python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site $w/*.whl
done
export PYTHONPATH="/tmp/site:.carry/smol_b/pylib:.${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
back() { for f in "$KEEP"/results/*.json "$KEEP"/logs/*.log; do [ -f "$f" ] && cp "$f" "$DEST"/; done; true; }
mkdir -p "$KEEP/results" "$KEEP/logs"
if [ -n "${OUT:-}" ]; then   # on a device: every 15 s, what the steps have written so far goes to $OUT too, so a call killed at its
  ( while sleep 15; do for f in "$W"/*.json "$KEEP"/logs/*.log; do [ -f "$f" ] && cp "$f" "$DEST"/ 2>/dev/null; done; done ) &   # limit
  COPIER=$!; trap 'kill $COPIER 2>/dev/null' EXIT                      # still brings back each step's partial result (written per part)
fi
python3 experiments/convert_smollm2.py --keep "$KEEP" --run "$RUN" --twin "$TWIN" --time_limit_s "$LIMIT" --out "$CONV" ${CONVERT_ARGS:-} \
  2>&1 | tee -a "$KEEP/logs/convert_smollm2_$TAG.log" | grep -v -E 'Loading weights|Writing model'
[ -f "$CONV" ] && cp "$CONV" "$KEEP/results/"
if [ ! -f "$KEEP/results/$(basename "$CONV")" ]; then echo "smollm2_chain: training goes on in the next call"; back; exit 0; fi
M="$KEEP/models"
if [ "${SMOL_EVAL:-1}" != 0 ] && [ ! -f "$KEEP/results/$(basename "$EVAL")" ]; then
  python3 -c 'import lm_eval' 2>/dev/null || { echo "smollm2_chain: lm_eval missing: carry .whl_eval (scripts/gpu_wheels.sh .whl_eval)"; back; exit 2; }
  if [ $((CALL_S - SECONDS)) -lt 360 ]; then echo "smollm2_chain: the tasks take the next call"; back; exit 0; fi
  if [ -n "$TWIN" ]; then MODELS=(teacher="$KEEP/teacher_ar" twin="$M/$TWIN" cascade="$M/$RUN:verify"); REF=${SMOL_REF:-twin}
  else MODELS=(teacher="$KEEP/teacher_ar" cascade="$M/$RUN:verify"); REF=teacher; fi
  timeout $((CALL_S - SECONDS)) python3 experiments/evaluate_tasks.py --models "${MODELS[@]}" \
    --reference $REF --tasks ${TASKS:-olmo_lambada olmo_hellaswag olmo_piqa olmo_arc_easy olmo_arc_easy_test code_line} --out "$EVAL" ${EVAL_ARGS:---limit 0 --batch_size 64} \
    2>&1 | tee -a "$KEEP/logs/eval_smollm2_$TAG.log" | grep -v -E 'it/s\]|Generating|Loading weights'
  [ -f "$EVAL" ] && cp "$EVAL" "$DEST"/                                 # what it measured, also when cut short
  python3 -c "import json,sys; sys.exit('cascade' not in json.load(open('$EVAL'))['metrics']['rows'])" 2>/dev/null && cp "$EVAL" "$KEEP/results/"
fi
if [ "${SMOL_BENCH:-1}" != 0 ] && { [ "${SMOL_EVAL:-1}" = 0 ] || [ -f "$KEEP/results/$(basename "$EVAL")" ]; } && [ ! -f "$KEEP/results/$(basename "$BENCH")" ]; then
  if [ $((CALL_S - SECONDS)) -lt 300 ]; then echo "smollm2_chain: the speed runs take the next call"; back; exit 0; fi
  timeout $((CALL_S - SECONDS)) python3 experiments/verify_bench.py --cc "$M/$RUN" --ar "$KEEP/teacher_ar" --tokenizer "$M/$RUN" --val_tokens "$KEEP/tokens" \
    --task_items 0 --out "$BENCH" ${BENCH_ARGS:---batch_sizes 1 16 64 --repeats 2 --batch1_prompts 4 --queue 256 --queue_batch 64} \
    2>&1 | tee -a "$KEEP/logs/verify_bench_smollm2_$TAG.log" | grep -v -E 'it/s\]|Loading weights'
  [ -f "$BENCH" ] && cp "$BENCH" "$DEST"/ && grep -q '"queues"' "$BENCH" && cp "$BENCH" "$KEEP/results/"
fi
back
