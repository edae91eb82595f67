// The tags a copy carries: the caller's, its name, and the ones that tie it to its job.
import { describe, expect, it } from "vitest";
import {
  copyIdentityTags,
  copyTags,
  TAG_JOB_ID,
  TAG_SOURCE_REGION,
  TAG_SOURCE_SNAPSHOT,
} from "../../functions/core/copy-tags.js";
import { aJob } from "./fakes.js";

describe("a copy's tags", () => {
  it("tie the copy to its job, source snapshot and source region", () => {
    // Act
    const identity = copyIdentityTags(aJob());

    // Assess
    expect(identity).toEqual({
      "snaprelay:job-id": "job-1",
      "snaprelay:source-snapshot-id": "snap-oi5spwt2",
      "snaprelay:source-region": "ap-shanghai",
    });
  });

  it("carry the caller's tags, the job's name as Name, and the identity tags", () => {
    // Act
    const tags = copyTags(aJob({ tags: { team: "dr", cost: "ops" } }));

    // Assess
    expect(tags).toEqual({
      team: "dr",
      cost: "ops",
      Name: "Copied snap-oi5spwt2 from ap-shanghai",
      [TAG_JOB_ID]: "job-1",
      [TAG_SOURCE_SNAPSHOT]: "snap-oi5spwt2",
      [TAG_SOURCE_REGION]: "ap-shanghai",
    });
  });

  it("include every identity tag, so a copy made with them can be found by them", () => {
    // Prepare
    const job = aJob();

    // Act
    const tags = copyTags(job);

    // Assess
    expect(tags).toMatchObject(copyIdentityTags(job));
  });

  it("keep the identity tags even if the job's own tags claim otherwise", () => {
    // Prepare
    const job = aJob({ tags: { [TAG_JOB_ID]: "job-forged" } });

    // Act
    const tags = copyTags(job);

    // Assess
    expect(tags[TAG_JOB_ID]).toBe("job-1");
  });

  it("name the copy after the job, over a Name tag the caller gave", () => {
    // Prepare
    const job = aJob({ name: "orders-db nightly", tags: { Name: "something else" } });

    // Act
    const tags = copyTags(job);

    // Assess
    expect(tags.Name).toBe("orders-db nightly");
  });
});
