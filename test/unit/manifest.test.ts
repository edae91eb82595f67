// One key names a function everywhere: serverless.yml declares exactly the functions there are
// (the manifest's entry points and the steps the state machine invokes), each with the handler
// path and the role its key gives; every step file passes its own key to the step handler.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { z } from "zod";
import { handlerPathOf, isStateOfStep, roleOf, stepName } from "../../functions/manifest.js";
import { allFunctions, stepStates } from "../../statemachine/functions.js";

const serverless = z
  .looseObject({
    functions: z.record(z.string(), z.looseObject({ handler: z.string(), role: z.string() })),
  })
  .parse(parse(readFileSync(new URL("../../serverless.yml", import.meta.url), "utf8")));

const functions = allFunctions();
const steps = functions.filter((spec) => spec.kind === "step");

describe("the functions", () => {
  it("are exactly those serverless.yml declares", () => {
    // Act
    const declared = Object.keys(serverless.functions).sort();

    // Assess
    expect(declared).toEqual(functions.map((spec) => spec.key).sort());
    expect(steps.length).toBeGreaterThan(0);
  });

  it.each(functions)("give $key the handler path and the role its key names", (spec) => {
    // Act
    const declared = serverless.functions[spec.key];

    // Assess
    expect(declared?.handler).toBe(handlerPathOf(spec));
    expect(declared?.role).toBe(roleOf(spec.key));
  });

  it.each(steps)("give step $key the file, log name and states of its key", (spec) => {
    // Act
    const source = readFileSync(spec.entry, "utf8");

    // Assess
    expect(source).toContain(`export const handler = stepHandler(`);
    expect(source).toMatch(new RegExp(`stepHandler\\(\\s*"${spec.key}"`));
    expect(spec.name).toBe(stepName(spec.key));
  });

  it("name each step's states after the step, so its logs and its states read alike", () => {
    // Act
    const misnamed = [...stepStates()].flatMap(([key, states]) =>
      states.filter((state) => !isStateOfStep(state, key)).map((state) => `${key}: ${state}`),
    );

    // Assess
    expect(misnamed).toEqual([]);
    expect(stepStates().get("finalize")).toEqual(["FinalizeCopy", "FinalizeJob"]);
  });
});
