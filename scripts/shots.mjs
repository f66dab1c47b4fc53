// Retakes every committed screenshot of the running backend
// (./scripts/dev; CONNVO_API to point elsewhere): docs/dashboard.png
// (dashboard-shot.mjs, after a short load with live meetings) and
// docs/api-docs.png (docs-shot.mjs, Swagger UI with a dev token).
//
//   node scripts/shots.mjs
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
for (const script of ["docs-shot.mjs", "dashboard-shot.mjs"]) {
  const run = spawnSync(process.execPath, [join(here, script)], { stdio: "inherit" });
  if (run.status !== 0) process.exit(run.status ?? 1);
}
