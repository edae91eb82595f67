// The function manifest is the one list of snaprelay's Lambda functions: serverless.yml declares
// exactly its functions with its handler paths, every entry file exists and exports a handler,
// and the names follow one scheme (file, function key, log name, ASL state).
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { z } from "zod";
import { FUNCTION_KEYS, functionSpec, handlerPathOf, statesOf } from "../../functions/manifest.js";

const serverless = z
  .looseObject({
    functions: z.record(z.string(), z.looseObject({ handler: z.string(), role: z.string() })),
  })
  .parse(parse(readFileSync(new URL("../../serverless.yml", import.meta.url), "utf8")));

const kebab = (key: string) => key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
const pascal = (key: string) => `${key[0]?.toUpperCase()}${key.slice(1)}`;

describe("the function manifest", () => {
  it("is exactly the functions serverless.yml declares", () => {
    // Act
    const declared = Object.keys(serverless.functions).sort();

    // Assess
    expect(declared).toEqual([...FUNCTION_KEYS].sort());
  });

  it.each(FUNCTION_KEYS)(
    "gives %s the handler path and the role serverless.yml runs it with",
    (key) => {
      // Act
      const declared = serverless.functions[key];

      // Assess
      expect(declared?.handler).toBe(handlerPathOf(key));
      expect(declared?.role).toBe(`${pascal(key)}Role`);
    },
  );

  it.each(FUNCTION_KEYS)("has an entry file for %s that exports a handler", async (key) => {
    // Prepare
    const { entry } = functionSpec(key);

    // Act
    const source = existsSync(entry) ? readFileSync(entry, "utf8") : "";

    // Assess
    expect(existsSync(entry)).toBe(true);
    expect(source).toMatch(/export const handler = /);
  });

  it.each(FUNCTION_KEYS.filter((key) => functionSpec(key).kind === "step"))(
    "names step %s alike in its file, its logs and its ASL states",
    (key) => {
      // Prepare
      const spec = functionSpec(key);

      // Act
      const file = spec.entry.split("/").at(-1);

      // Assess
      expect(file).toBe(`${kebab(key)}.ts`);
      expect(spec.name).toBe(pascal(key));
      for (const state of statesOf(key)) {
        const words = spec.name.match(/[A-Z][a-z]*/g) ?? [];
        // A step invoked by two states names both after itself: FinalizeCopy, RecordJobFailure.
        expect(words.every((word) => state.includes(word))).toBe(true);
      }
    },
  );
});
