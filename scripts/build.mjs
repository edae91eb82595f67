// Bundles every Lambda handler into dist/ with esbuild: one ESM file per function, which both
// serverless-offline and the deployed package run as they are.
import { mkdir, rm, writeFile } from "node:fs/promises";
import { build } from "esbuild";

const entryPoints = [
  "functions/api/handler.ts",
  "functions/api/authorizer.ts",
  "functions/steps/validate.ts",
  "functions/steps/start-copy.ts",
  "functions/steps/poll-copy.ts",
  "functions/steps/finalize.ts",
  "functions/steps/fail.ts",
  "functions/steps/acquire-slot.ts",
  "functions/steps/await-slot.ts",
  "functions/steps/await-copy.ts",
  "functions/events/copy-events.ts",
  "functions/steps/retention.ts",
  "functions/schedule/sweeper.ts",
  "functions/schedule/scheduler.ts",
];

await rm("dist", { recursive: true, force: true });
await build({
  entryPoints,
  outbase: "functions",
  outdir: "dist",
  bundle: true,
  platform: "node",
  target: "node22",
  format: "esm",
  sourcemap: true,
  minify: true,
  keepNames: true,
  logLevel: "warning",
  // Some dependencies still call require(); give the ESM bundle one.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
});
await mkdir("dist", { recursive: true });
await writeFile("dist/package.json", `${JSON.stringify({ type: "module" })}\n`);
console.log(`built ${entryPoints.length} handlers into dist/`);
