#!/usr/bin/env bash
# Regenerates the calibrated built-in profiles (data/devices/H100_SXM_80G.yaml,
# B200_SXM_180G.yaml) from their specification bases in data/device-specs/ and
# the kernel tables in ../shared/reference/kernels/. Run after `npm run build`;
# then rebuild (the device bundle), refit the scheduler (scripts/fit-scheduler.ts)
# and review `git diff data/devices`.
#
# Curve groups written: the ones whose kernel fit carries over to serving
# (docs/accuracy.md, "Which curves ship calibrated"). Left at specification:
#   gemm.fp8, gemm.fp4 - the tables' per-tensor fp8 / nvfp4 torch kernels are not
#                        what the engines run in serving, and end-to-end error grows with them;
#   memory             - fitted from few-row GEMMs of every dtype, where the fp8 / nvfp4 rows
#                        pull the weight-read bandwidth down (B200 16 MiB: 0.8 -> 0.38); serving
#                        TPOT 16.1% -> 18.3% with it;
#   comm               - NCCL all-reduce (ring hops, fitted to 7% on both tables), where serving
#                        engines use their own direct all-reduce kernels: shipped, it moves the
#                        given-deployment TTFT from 24.5% to 25.3% (after a scheduler refit);
#   static             - the microbenchmarks' per-kernel floors include launch costs
#                        that CUDA graphs hide in serving.
set -euo pipefail
cd "$(dirname "$0")/.."
KERNELS="${KERNELS:-../shared/reference/kernels}"
CURVES=(attention-prefill attention-decode gemm.bf16)
for pair in "H100_SXM_80G h100_sxm" "B200_SXM_180G b200_sxm"; do
  set -- $pair
  node dist/src/cli/main.js calibrate --kernels "$KERNELS/$2" --device "$1" \
    --device-file "data/device-specs/$1.yaml" --curves "${CURVES[@]}" --out "data/devices/$1.yaml"
done
