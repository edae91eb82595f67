// The installed tree (npm ls, dev dependencies included) is free of the two packages the ended
// Serverless Framework v3 brought in: tar 6 (CVE-2026-23745) and the end-of-life AWS SDK v2.
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";

interface Node {
  version?: string;
  dependencies?: Record<string, Node>;
}

/** Every installed version of `names`, as "name@version", from `npm ls --all --json`. */
const installed = (names: string[]): string[] => {
  let output: string;
  try {
    output = execFileSync("npm", ["ls", ...names, "--all", "--json"], { encoding: "utf8" });
  } catch (error) {
    // npm ls exits 1 when nothing matches, with the same JSON on stdout.
    output = String((error as { stdout?: string }).stdout ?? "");
  }
  const found = new Set<string>();
  const walk = (tree: Record<string, Node> | undefined) => {
    for (const [name, node] of Object.entries(tree ?? {})) {
      if (names.includes(name) && node.version) found.add(`${name}@${node.version}`);
      walk(node.dependencies);
    }
  };
  walk((JSON.parse(output) as Node).dependencies);
  return [...found];
};

describe("the dependency tree", () => {
  it("holds neither tar 6 nor the AWS SDK v2", () => {
    const versions = installed(["tar", "aws-sdk"]);

    expect(versions.filter((v) => /^tar@6\./.test(v) || /^aws-sdk@2\./.test(v))).toEqual([]);
  }, 60_000);

  it("deploys with osls, which also answers to the serverless plugins' peer dependency", () => {
    const versions = installed(["osls", "serverless"]);

    expect(versions.length).toBeGreaterThan(0);
    expect(new Set(versions.map((v) => v.split("@")[1]))).toEqual(new Set(["4.3.1"]));
  }, 60_000);
});
