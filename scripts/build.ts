// Bundles every Lambda handler (the manifest's entry points and the state machine's steps) into
// dist/ with esbuild: one ESM file per function, which both serverless-offline and the deployed
// package run as they are; expands the state machine's source into the ASL that runs; and builds
// the ops console's page.
import { createHash } from "node:crypto";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { build } from "esbuild";
import { writeBuiltDefinition } from "../statemachine/definition.js";
import { allFunctions } from "../statemachine/functions.js";

const entryPoints = allFunctions().map((spec) => spec.entry);

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
writeBuiltDefinition();

// The ops console: its script bundled for the browser and inlined into its page, which the API
// serves at GET /console with a Content-Security-Policy that admits that script alone (by hash).
const consoleScript = await build({
  entryPoints: ["functions/api/console/app.ts"],
  bundle: true,
  platform: "browser",
  target: "es2022",
  format: "esm",
  minify: true,
  write: false,
  logLevel: "warning",
});
const script = (consoleScript.outputFiles[0]?.text ?? "").replaceAll("</script", "<\\/script");
const page = (await readFile("functions/api/console/index.html", "utf8")).replace(
  "/* app */",
  () => script,
);
const scriptHash = createHash("sha256").update(script).digest("base64");
await mkdir("dist/console", { recursive: true });
await writeFile(
  "dist/console/page.json",
  JSON.stringify({
    html: page,
    contentSecurityPolicy: `default-src 'self'; script-src 'sha256-${scriptHash}'; style-src 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'`,
  }),
);
console.log(`built ${entryPoints.length} handlers, the state machine and the console into dist/`);
