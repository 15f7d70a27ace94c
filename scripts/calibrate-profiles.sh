#!/usr/bin/env bash
# Regenerates the calibrated built-in profiles (data/devices/H100_SXM_80G.yaml,
# B200_SXM_180G.yaml) from their specification bases in data/device-specs/ and
# the kernel tables in ../shared/reference/kernels/. Run after `npm run build`;
# then rebuild (the device bundle), refit the scheduler (scripts/fit-scheduler.ts)
# and review `git diff data/devices`.
#
# Curve groups written: the ones whose kernel fit carries over to serving
# (docs/accuracy.md, "Which curves ship calibrated": all rows, TTFT / TPOT median APE; the
# shipped set is at 29.2% / 14.0%).
#   gemm.fp8           - per-tensor and block fp8 rows, the input quantization priced apart
#                        (without it on B200: TTFT 29.6%);
#   static             - the GEMM floor (matrixOp), fitted in place of the specification's
#                        assumed 5 us (without it: 29.3% / 14.2%);
#   comm.latency       - NCCL's own floor (ncclCollective, prices only NCCL's ring) and the
#                        NVLink hop latency: op-level all-reduce 28.7% -> 7.2% on H100, and
#                        29.1% / 13.9% -> 29.2% / 14.0% end to end.
# Left at specification:
#   gemm.fp4           - the tables' nvfp4 torch kernels run at ~0.73x of what the specification
#                        prices, slower than the engines' fp4 GEMMs in serving: 31.5% / 19.4% with it;
#   memory             - fitted from few-row GEMMs of every dtype, where the fp8 / nvfp4 rows
#                        pull the weight-read bandwidth down (B200 16 MiB: 0.8 -> 0.38): 32.5% / 20.8%;
#   comm.bandwidth     - NCCL's bandwidth by message size (B200 dips at 4 MiB, where NCCL
#                        changes protocol), which the engines' own all-reduce kernels do not
#                        share: TTFT 29.2% -> 30.7%.
set -euo pipefail
cd "$(dirname "$0")/.."
KERNELS="${KERNELS:-../shared/reference/kernels}"
CURVES=(attention-prefill attention-decode gemm.bf16 gemm.fp8 static comm.latency)
for pair in "H100_SXM_80G h100_sxm" "B200_SXM_180G b200_sxm"; do
  set -- $pair
  node dist/src/cli/main.js calibrate --kernels "$KERNELS/$2" --device "$1" \
    --device-file "data/device-specs/$1.yaml" --curves "${CURVES[@]}" --out "data/devices/$1.yaml"
done
