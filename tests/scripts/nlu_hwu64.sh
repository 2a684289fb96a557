#!/usr/bin/env bash
# A floor under the NLU's quality on a public benchmark: `parley test --nlu` on HWU64 fold 1
# (../shared/nlu/hwu64) must keep intent accuracy and exact-span entity F1 at least where this
# code put them (86.5 % and 74.0 %; before the learned entity extractor F1 was 43 %), less a
# point of slack. Training is deterministic, so a drop is a real change, not noise.
# Usage: nlu_hwu64.sh PATH_TO_PARLEY
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DATA="$ROOT/../shared/nlu/hwu64"
out="$(mktemp /tmp/parley-nlu-hwu64.XXXXXX.json)"
trap 'rm -f "$out"' EXIT
PARLEY_MODEL_CACHE=off "$1" test "$DATA/train" --nlu "$DATA/test.yml" --out "$out" >/dev/null
python3 - "$out" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
intent, f1 = r["intent"]["accuracy"], r["entities"]["f1"]
print(f"intent accuracy {intent:.4f}, entity F1 (exact) {f1:.4f}, overlap F1 {r['entities']['overlap']['f1']:.4f}")
assert r["intent"]["examples"] == 1076, r["intent"]["examples"]
assert intent >= 0.855, f"intent accuracy fell to {intent:.4f}"
assert f1 >= 0.73, f"entity F1 fell to {f1:.4f}"
PY
