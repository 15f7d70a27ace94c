#!/usr/bin/env bash
# Regenerates the calibrated built-in profiles (data/devices/H100_SXM_80G.yaml,
# B200_SXM_180G.yaml) from their specification bases in data/device-specs/ and
# the kernel tables in ../shared/reference/kernels/. Run after `npm run build`;
# then rebuild (the device bundle), refit the scheduler (scripts/fit-scheduler.ts)
# and review `git diff data/devices`.
#
# Curve groups written: the ones whose kernel fit carries over to serving
# (docs/accuracy.md, "Which curves ship calibrated"). Left at specification:
#   gemm.fp8 (B200), gemm.fp4 - the tables' fp8 / nvfp4 torch kernels are not what the
#                        engines run in serving, and end-to-end error grows with them;
#   memory             - fitted from few-row GEMMs of every dtype, where the fp8 / nvfp4 rows
#                        pull the weight-read bandwidth down (B200 16 MiB: 0.8 -> 0.38); serving
#                        TPOT 15.9% -> 17.6% with it;
#   comm               - NCCL all-reduce (ring hops, fitted to 7% on both tables), where serving
#                        engines use their own direct all-reduce kernels: shipped, it moves the
#                        given-deployment TTFT from 24.5% to 25.3% (after a scheduler refit);
#   static             - the GEMM floor (matrixOp), shared by every dtype: neutral end to end.
set -euo pipefail
cd "$(dirname "$0")/.."
KERNELS="${KERNELS:-../shared/reference/kernels}"
CURVES=(attention-prefill attention-decode gemm.bf16)
# H100's fp8 rows (per-tensor cuBLAS and fp8_block CUTLASS, input quantization priced apart)
# carry over to serving: op-level GEMM 10.0% -> 9.8%, end to end TPOT 16.0% -> 15.9%. B200's
# do not (its fp8 rows mix per-tensor cuBLAS with DeepGEMM block kernels, one curve for both:
# given-deployment TTFT 24.9% -> 25.8%).
declare -A EXTRA=([H100_SXM_80G]="gemm.fp8" [B200_SXM_180G]="")
for pair in "H100_SXM_80G h100_sxm" "B200_SXM_180G b200_sxm"; do
  set -- $pair
  # shellcheck disable=SC2206
  extra=(${EXTRA[$1]})
  node dist/src/cli/main.js calibrate --kernels "$KERNELS/$2" --device "$1" \
    --device-file "data/device-specs/$1.yaml" --curves "${CURVES[@]}" "${extra[@]}" --out "data/devices/$1.yaml"
done
