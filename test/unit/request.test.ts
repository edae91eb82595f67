// The request's shape (zod), and how its problems read to the caller.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  describeIssues,
  MAX_USER_TAGS,
  parseReplicationRequest,
  parseWith,
} from "../../functions/core/request.js";

const body = (fields: Record<string, unknown> = {}): Record<string, unknown> => ({
  snapshotId: "snap-oi5spwt2",
  sourceRegion: "ap-shanghai",
  destinationRegions: ["ap-mumbai"],
  ...fields,
});

const refusal = (input: unknown): string => {
  try {
    parseReplicationRequest(input);
  } catch (error) {
    expect(error).toMatchObject({ code: "InvalidRequest", name: "InvalidRequest" });
    return error instanceof Error ? error.message : String(error);
  }
  throw new Error("the request was accepted");
};

describe("parsing a replication request", () => {
  it("accepts the body the design shows", () => {
    // Prepare
    const input = body({
      destinationRegions: ["ap-mumbai", "ap-beijing"],
      name: "optional, at most 60 characters",
      tags: { team: "dr" },
    });

    // Act
    const request = parseReplicationRequest(input);

    // Assess
    expect(request).toEqual(input);
  });

  it("leaves name and tags out when the caller does", () => {
    // Act
    const request = parseReplicationRequest(body());

    // Assess
    expect(request).not.toHaveProperty("name");
    expect(request).not.toHaveProperty("tags");
  });

  it("refuses a body that is not an object", () => {
    // Act
    const message = refusal("snap-oi5spwt2");

    // Assess
    expect(message).toMatch(/^Invalid replication request: /);
  });

  it.each(["vol-0abc1234", "snap-abc", "snap-0ABC1234", `snap-${"a".repeat(18)}`])(
    "refuses the snapshot id %s, saying what one looks like",
    (snapshotId) => {
      // Act
      const message = refusal(body({ snapshotId }));

      // Assess
      expect(message).toContain("snapshotId: must look like snap-0123abcd");
    },
  );

  it("accepts a snapshot id of snap- and 17 characters, the longest EC2 gives", () => {
    // Act
    const request = parseReplicationRequest(body({ snapshotId: `snap-${"a".repeat(17)}` }));

    // Assess
    expect(request.snapshotId).toHaveLength(22);
  });

  it("names the destination that is not a region name by its position", () => {
    // Act
    const message = refusal(body({ destinationRegions: ["ap-mumbai", "AP Beijing"] }));

    // Assess
    expect(message).toBe(
      "Invalid replication request: destinationRegions[1]: must be a region name such as ap-shanghai or us-east-1",
    );
  });

  it("leaves a missing destination list for rule 3 to refuse, as an empty one", () => {
    // Act
    const { snapshotId, sourceRegion } = body();
    const request = parseReplicationRequest({ snapshotId, sourceRegion });

    // Assess
    expect(request.destinationRegions).toEqual([]);
  });

  it("refuses a field it does not know", () => {
    // Act
    const message = refusal(body({ destinationRegion: "ap-mumbai" }));

    // Assess
    expect(message).toContain("destinationRegion");
  });

  it("refuses a name that is not a string", () => {
    // Act
    const message = refusal(body({ name: 60 }));

    // Assess
    expect(message).toContain("name: ");
  });

  it.each(["aws:cloudformation:stack-name", "snaprelay:job-id", "SnapRelay:Job-Id", "AWS:x"])(
    "refuses the reserved tag key %s",
    (key) => {
      // Act
      const message = refusal(body({ tags: { [key]: "x" } }));

      // Assess
      expect(message).toContain(`tags.${key}`);
    },
  );

  it("says that tag keys may not be Name or start with aws: or snaprelay:", () => {
    // Act
    const message = refusal(body({ tags: { "aws:x": "1", Name: "mine" } }));

    // Assess
    expect(message).toContain("tags.aws:x: is reserved");
    expect(message).toContain("tags.Name: is reserved");
    expect(message).toContain("start with aws: or snaprelay:");
  });

  it("accepts a tag key that only contains a reserved word later on", () => {
    // Act
    const request = parseReplicationRequest(body({ tags: { "team:aws:owner": "dr" } }));

    // Assess
    expect(request.tags).toEqual({ "team:aws:owner": "dr" });
  });

  it(`accepts ${MAX_USER_TAGS} tags and refuses one more`, () => {
    // Prepare
    const tags = (count: number) =>
      Object.fromEntries(Array.from({ length: count }, (_, i) => [`key${i}`, "v"]));

    // Act
    const accepted = parseReplicationRequest(body({ tags: tags(MAX_USER_TAGS) }));
    const message = refusal(body({ tags: tags(MAX_USER_TAGS + 1) }));

    // Assess
    expect(Object.keys(accepted.tags ?? {})).toHaveLength(40);
    expect(message).toContain("tags: at most 40 tags");
  });

  it("refuses a tag value longer than 256 characters, naming the tag", () => {
    // Act
    const message = refusal(body({ tags: { team: "v".repeat(257) } }));

    // Assess
    expect(message).toContain("tags.team: ");
  });
});

describe("describing zod's issues", () => {
  it("gives one clause per problem, with dotted and indexed paths, joined by semicolons", () => {
    // Prepare
    const schema = z.object({
      outer: z.object({ list: z.array(z.string().min(2, "too short")) }),
      flag: z.boolean({ error: "must be true or false" }),
    });
    const result = schema.safeParse({ outer: { list: ["ok", "x"] }, flag: "yes" });
    if (result.success) throw new Error("the input was accepted");

    // Act
    const described = describeIssues(result.error);

    // Assess
    expect(described).toBe("outer.list[1]: too short; flag: must be true or false");
  });

  it("gives a problem with the whole input without a path", () => {
    // Prepare
    const result = z.string({ error: "must be text" }).safeParse(1);
    if (result.success) throw new Error("the input was accepted");

    // Act
    const described = describeIssues(result.error);

    // Assess
    expect(described).toBe("must be text");
  });

  it("names what was being parsed in the InvalidRequest it throws", () => {
    // Act
    const act = () => parseWith(z.object({ jobId: z.string() }), {}, "Validate input");

    // Assess
    expect(act).toThrowError(
      expect.objectContaining({
        code: "InvalidRequest",
        message: expect.stringMatching(/^Invalid Validate input: jobId: /),
      }),
    );
  });
});

describe("the bounds of a replication request", () => {
  it("refuses more than 64 destinations, naming the field and the bound", () => {
    // Prepare
    const regions = Array.from({ length: 65 }, (_, index) => `ap-region${index}`);

    // Act
    const message = refusal(body({ destinationRegions: regions }));

    // Assess
    expect(message).toBe("Invalid replication request: destinationRegions: at most 64 regions");
  });

  it("refuses 200,000 destinations with the same answer", () => {
    // Prepare
    const regions = Array.from({ length: 200_000 }, (_, index) => `ap-region${index}`);

    // Act
    const message = refusal(body({ destinationRegions: regions }));

    // Assess
    expect(message).toBe("Invalid replication request: destinationRegions: at most 64 regions");
  });

  it.each([
    ["an escape sequence", "DR\u001b[2J copy"],
    ["a newline", "DR\ncopy"],
    ["a right-to-left override", "DR\u202ecopy"],
  ])("refuses a name holding %s", (_what, name) => {
    // Act
    const message = refusal(body({ name }));

    // Assess
    expect(message).toBe(
      "Invalid replication request: name: must hold printable characters only (no control characters)",
    );
  });

  it("accepts a name in any script, with punctuation", () => {
    // Act
    const request = parseReplicationRequest(body({ name: "灾备副本 – week 49 (ap-mumbai)" }));

    // Assess
    expect(request.name).toBe("灾备副本 – week 49 (ap-mumbai)");
  });
});
