// `npm run bench:readme`: prints every bench block of README.md and docs/ afresh from the run it
// names under bench/results/ (see results.ts). To quote a new run, put its file's path in a block
// (`<!-- bench: bench/results/….json -->` and `<!-- /bench -->` on lines of their own) and run
// this. A unit test fails while a block differs from its file.
import { readFileSync, writeFileSync } from "node:fs";
import { BENCH_DOCUMENTS, blockPaths, refreshBlocks } from "./results.js";

for (const document of BENCH_DOCUMENTS) {
  const before = readFileSync(document, "utf8");
  const after = refreshBlocks(before);
  if (after !== before) writeFileSync(document, after);
  console.log(
    `${document}: ${blockPaths(before).length} bench block(s)${after === before ? ", already as their files say" : ", printed afresh"}`,
  );
}
