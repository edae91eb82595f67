// The seed's rules 1–4 as the API and the Validate step apply them.
import { describe, expect, it } from "vitest";
import { parseReplicationRequest, type ReplicationRequest } from "../../functions/core/request.js";
import { checkReplicationRequest, defaultSnapshotName } from "../../functions/core/rules.js";
import { seedPolicy } from "./fakes.js";

const request = (fields: Partial<ReplicationRequest> = {}): ReplicationRequest => ({
  snapshotId: "snap-oi5spwt2",
  sourceRegion: "ap-shanghai",
  destinationRegions: ["ap-mumbai", "ap-beijing"],
  ...fields,
});

describe("checking a replication request", () => {
  it("accepts a request between supported regions and keeps the destinations in order", () => {
    // Act
    const checked = checkReplicationRequest(request(), seedPolicy());

    // Assess
    expect(checked).toEqual({
      snapshotId: "snap-oi5spwt2",
      sourceRegion: "ap-shanghai",
      destinationRegions: ["ap-mumbai", "ap-beijing"],
      name: "Copied snap-oi5spwt2 from ap-shanghai",
      tags: {},
    });
  });

  it("keeps the caller's name and tags", () => {
    // Act
    const checked = checkReplicationRequest(
      request({ name: "orders-db nightly", tags: { team: "dr" } }),
      seedPolicy(),
    );

    // Assess
    expect(checked.name).toBe("orders-db nightly");
    expect(checked.tags).toEqual({ team: "dr" });
  });

  it("returns its own lists, so changing the request later changes nothing", () => {
    // Prepare
    const asked = request({ tags: { team: "dr" } });

    // Act
    const checked = checkReplicationRequest(asked, seedPolicy());
    asked.destinationRegions.push("ap-chengdu");
    if (asked.tags) asked.tags.team = "ops";

    // Assess
    expect(checked.destinationRegions).toEqual(["ap-mumbai", "ap-beijing"]);
    expect(checked.tags).toEqual({ team: "dr" });
  });

  it("refuses a source region that is not supported, listing the supported ones", () => {
    // Act
    const act = () => checkReplicationRequest(request({ sourceRegion: "us-east-1" }), seedPolicy());

    // Assess
    expect(act).toThrowError(
      expect.objectContaining({
        code: "UnsupportedRegion",
        message: expect.stringMatching(
          /^Source region us-east-1 .*supported regions: ap-beijing, ap-shanghai, .*ap-guangzhou-open\.$/,
        ),
      }),
    );
  });

  it("refuses a destination region that is not supported", () => {
    // Act
    const act = () =>
      checkReplicationRequest(
        request({ destinationRegions: ["ap-mumbai", "eu-west-1"] }),
        seedPolicy(),
      );

    // Assess
    expect(act).toThrowError(
      expect.objectContaining({
        code: "UnsupportedRegion",
        message: expect.stringContaining("Destination region eu-west-1"),
      }),
    );
  });

  it("supports the regions the policy configures instead of the seed's", () => {
    // Prepare
    const policy = seedPolicy({ supportedRegions: ["us-east-1", "eu-west-1"] });

    // Act
    const checked = checkReplicationRequest(
      request({ sourceRegion: "us-east-1", destinationRegions: ["eu-west-1"] }),
      policy,
    );

    // Assess
    expect(checked.destinationRegions).toEqual(["eu-west-1"]);
  });

  it("refuses a request with no destination region", () => {
    // Act
    const act = () => checkReplicationRequest(request({ destinationRegions: [] }), seedPolicy());

    // Assess
    expect(act).toThrowError(
      expect.objectContaining({
        code: "InvalidDestination",
        message: expect.stringContaining("at least one destination region is required"),
      }),
    );
  });

  it("refuses the source region as a destination", () => {
    // Act
    const act = () =>
      checkReplicationRequest(
        request({ destinationRegions: ["ap-mumbai", "ap-shanghai"] }),
        seedPolicy(),
      );

    // Assess
    expect(act).toThrowError(
      expect.objectContaining({
        code: "InvalidDestination",
        message: expect.stringContaining("ap-shanghai is the source region"),
      }),
    );
  });

  it("refuses a destination listed twice, naming it once", () => {
    // Act
    const act = () =>
      checkReplicationRequest(
        request({ destinationRegions: ["ap-mumbai", "ap-beijing", "ap-mumbai", "ap-mumbai"] }),
        seedPolicy(),
      );

    // Assess
    expect(act).toThrowError(
      expect.objectContaining({
        code: "InvalidDestination",
        message:
          "destinationRegions: ap-mumbai is listed more than once; each destination may appear once.",
      }),
    );
  });

  it("checks the source region before the destinations", () => {
    // Act
    const act = () =>
      checkReplicationRequest(
        request({ sourceRegion: "us-east-1", destinationRegions: ["us-east-1"] }),
        seedPolicy(),
      );

    // Assess
    expect(act).toThrowError(expect.objectContaining({ code: "UnsupportedRegion" }));
  });
});

describe("the snapshot name", () => {
  it("defaults to Copied <snapshotId> from <sourceRegion>", () => {
    // Act
    const name = defaultSnapshotName("snap-oi5spwt2", "ap-shanghai");

    // Assess
    expect(name).toBe("Copied snap-oi5spwt2 from ap-shanghai");
  });

  it("accepts a name of 60 characters", () => {
    // Prepare
    const name = "n".repeat(60);

    // Act
    const checked = checkReplicationRequest(request({ name }), seedPolicy());

    // Assess
    expect(checked.name).toBe(name);
  });

  it("refuses a name of 61 characters with NameTooLong", () => {
    // Act
    const act = () => checkReplicationRequest(request({ name: "n".repeat(61) }), seedPolicy());

    // Assess
    expect(act).toThrowError(
      expect.objectContaining({
        code: "NameTooLong",
        message: "name: 61 characters is too long; a snapshot name has at most 60 characters.",
      }),
    );
  });

  it("counts characters, not UTF-16 units: 60 emoji are a valid name", () => {
    // Prepare
    const name = "📸".repeat(60);

    // Act
    const checked = checkReplicationRequest(request({ name }), seedPolicy());

    // Assess
    expect(name.length).toBe(120);
    expect(checked.name).toBe(name);
  });

  it("refuses 61 emoji, counted as 61 characters", () => {
    // Act
    const act = () => checkReplicationRequest(request({ name: "📸".repeat(61) }), seedPolicy());

    // Assess
    expect(act).toThrowError(
      expect.objectContaining({
        code: "NameTooLong",
        message: expect.stringContaining("61 characters"),
      }),
    );
  });

  it.each(["", "   ", "\t\n"])("refuses the blank name %j, pointing to the default", (name) => {
    // Act
    const act = () => checkReplicationRequest(request({ name }), seedPolicy());

    // Assess
    expect(act).toThrowError(
      expect.objectContaining({
        code: "InvalidRequest",
        message: expect.stringContaining('"Copied snap-oi5spwt2 from ap-shanghai"'),
      }),
    );
  });

  it("gives a default name of at most 60 characters for the longest snapshot id and region name", () => {
    // Prepare
    const longest = parseReplicationRequest({
      snapshotId: `snap-${"a".repeat(17)}`,
      sourceRegion: "ap-guangzhou-open",
      destinationRegions: ["ap-mumbai"],
    });
    const policy = { ...seedPolicy(), supportedRegions: ["ap-guangzhou-open", "ap-mumbai"] };

    // Act
    const { name } = checkReplicationRequest(longest, policy);

    // Assess
    expect([...name].length).toBeLessThanOrEqual(60);
  });
});
