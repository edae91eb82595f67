// The tenant role's CloudFormation template, as the repository carries it and as an approval
// fills it for one account: both clean by cfn-lint, the linter the suite holds every template to.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ROLE_TEMPLATE_PATH, roleTemplate } from "../../functions/core/onboarding.js";

const dir = mkdtempSync(join(tmpdir(), "snaprelay-role-template-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** cfn-lint's findings; none is an empty string. This machine's Python ships it. */
const lint = (file: string): string => {
  try {
    return execFileSync("cfn-lint", [file], { encoding: "utf8" }).trim();
  } catch (error) {
    const { stdout, message } = error as { stdout?: string; message: string };
    return stdout?.trim() || message;
  }
};

describe("the tenant role's template", () => {
  it("is clean by cfn-lint as the repository carries it", () => {
    // Act
    const findings = lint(ROLE_TEMPLATE_PATH);

    // Assess
    expect(findings).toBe("");
  }, 60_000);

  it("is clean by cfn-lint as an approval fills it for one account", () => {
    // Prepare
    const file = join(dir, "snaprelay-access-role.yml");
    writeFileSync(
      file,
      roleTemplate({
        serviceAccountId: "000000000000",
        externalId: "snaprelay-0123456789abcdef0123456789abcdef",
        roleName: "snaprelay-access",
      }),
    );

    // Act
    const findings = lint(file);

    // Assess
    expect(findings).toBe("");
  }, 60_000);
});
