// What the local Step Functions endpoint hands its interpreter, and how it keeps it from holding
// Node's event loop: inline Maps capped at AWS's 40 concurrent iterations, Pass states run by our
// own handler (which lets the loop turn), and the payload quota counted in bytes of UTF-8.
import { describe, expect, it } from "vitest";
import { HOLD_BUDGET_MS, letEventLoopTurn } from "../../local/stepfunctions/event-loop.js";
import {
  INLINE_MAP_MAX_CONCURRENCY,
  interpreterDefinition,
} from "../../local/stepfunctions/interpreter-definition.js";
import type { JsonObject } from "../../local/stepfunctions/json.js";
import { exceedsPayloadQuota, MAX_PAYLOAD_BYTES } from "../../local/stepfunctions/payload-quota.js";

function mapWith(fields: JsonObject): JsonObject {
  return {
    StartAt: "Fan",
    States: {
      Fan: {
        Type: "Map",
        ItemProcessor: { StartAt: "Item", States: { Item: { Type: "Succeed" } } },
        End: true,
        ...fields,
      },
    },
  };
}

function stateOf(asl: JsonObject, name: string): JsonObject {
  return (asl.States as Record<string, JsonObject>)[name] ?? {};
}

describe("the interpreter's copy of a definition", () => {
  it("runs an inline Map at most 40 iterations at once: MaxConcurrency none, 0 or over 40 becomes 40, a lower one stays", () => {
    // Act
    const concurrency = [undefined, 0, 100, 40, 5].map((asked) => {
      const asl = mapWith(asked === undefined ? {} : { MaxConcurrency: asked });
      return stateOf(interpreterDefinition(asl, 1), "Fan").MaxConcurrency;
    });
    // Assess
    expect(INLINE_MAP_MAX_CONCURRENCY).toBe(40);
    expect(concurrency).toEqual([40, 40, 40, 40, 5]);
  });

  it("leaves a Distributed Map's MaxConcurrency as it is", () => {
    // Prepare
    const asl = mapWith({ MaxConcurrency: 1000 });
    const processor = stateOf(asl, "Fan").ItemProcessor as JsonObject;
    processor.ProcessorConfig = { Mode: "DISTRIBUTED", ExecutionType: "STANDARD" };
    // Act
    const copy = interpreterDefinition(asl, 1);
    // Assess
    expect(stateOf(copy, "Fan").MaxConcurrency).toBe(1000);
  });

  it("turns a Pass state into a local Task that keeps its paths, Parameters and transition, and leaves the original alone", () => {
    // Prepare
    const pass = {
      Type: "Pass",
      Comment: "a pass",
      InputPath: "$.in",
      Parameters: { "value.$": "$.value" },
      Result: { fixed: true },
      ResultPath: "$.out",
      OutputPath: "$",
      Next: "Done",
    };
    const asl = { StartAt: "Give", States: { Give: pass, Done: { Type: "Succeed" } } };
    // Act
    const copy = interpreterDefinition(structuredClone(asl), 1);
    // Assess
    expect(stateOf(copy, "Give")).toEqual({
      Type: "Task",
      Resource: "local:pass",
      TimeoutSeconds: 2_147_483,
      Comment: "a pass",
      InputPath: "$.in",
      Parameters: { "value.$": "$.value" },
      ResultPath: "$.out",
      OutputPath: "$",
      Next: "Done",
    });
    expect(asl.States.Give).toBe(pass);
    expect(pass.Type).toBe("Pass");
  });
});

describe("letting the event loop turn", () => {
  it("lets timers fire during a chain of promise callbacks that calls it between steps", async () => {
    // Prepare
    let fired = 0;
    const timer = setInterval(() => {
      fired += 1;
    }, 5);
    // Act: 200 ms of steps that never wait for anything but it
    const until = performance.now() + 200;
    while (performance.now() < until) await letEventLoopTurn();
    clearInterval(timer);
    // Assess: each budget's end lets the loop turn; without it the timer could never fire
    expect(HOLD_BUDGET_MS).toBe(10);
    expect(fired).toBeGreaterThanOrEqual(5);
  });

  it("costs no turn of the loop while it has turned within the budget", async () => {
    // Prepare: a fresh turn, and a callback that runs at the next one
    await new Promise((resolve) => setImmediate(resolve));
    let turned = false;
    setImmediate(() => {
      turned = true;
    });
    // Act
    for (let step = 0; step < 20; step += 1) await letEventLoopTurn();
    // Assess
    expect(turned).toBe(false);
  });
});

describe("the payload quota", () => {
  it("is 262,144 bytes of UTF-8, not characters", () => {
    // Assess: one, two, three and four bytes a character
    expect(MAX_PAYLOAD_BYTES).toBe(262_144);
    expect(exceedsPayloadQuota("a".repeat(262_144))).toBe(false);
    expect(exceedsPayloadQuota("a".repeat(262_145))).toBe(true);
    expect(exceedsPayloadQuota("é".repeat(131_072))).toBe(false);
    expect(exceedsPayloadQuota("é".repeat(131_073))).toBe(true);
    expect(exceedsPayloadQuota(`${"€".repeat(87_381)}a`)).toBe(false);
    expect(exceedsPayloadQuota("€".repeat(87_382))).toBe(true);
    expect(exceedsPayloadQuota("😀".repeat(65_536))).toBe(false);
    expect(exceedsPayloadQuota("😀".repeat(65_537))).toBe(true);
  });
});
