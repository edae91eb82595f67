// `npm run bench:readme [-- --file docs/SCALING.md]`: prints every bench block of README.md and
// docs/SCALING.md (or only the files named) afresh from the run it names under bench/results/ (see
// results.ts). To quote a run, put its file's path in a block (`<!-- bench: bench/results/….json -->`
// and `<!-- /bench -->` on lines of their own) in either document and run this. A unit test fails
// while a block differs from its file.
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { BENCH_DOCUMENTS, blockPaths, refreshBlocks } from "./results.js";

const { values } = parseArgs({ options: { file: { type: "string", multiple: true } } });

for (const document of values.file ?? BENCH_DOCUMENTS) {
  const before = readFileSync(document, "utf8");
  const after = refreshBlocks(before);
  if (after !== before) writeFileSync(document, after);
  console.log(
    `${document}: ${blockPaths(before).length} bench block(s)${after === before ? ", already as their files say" : ", printed afresh"}`,
  );
}
