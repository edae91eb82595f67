// The CLI prints what tenants wrote (names, reasons, error messages): never as instructions to
// the terminal.
import { describe, expect, it } from "vitest";
import { printable } from "../../scripts/cli/render.js";

describe("text the CLI prints", () => {
  it("shows an escape sequence a tenant put in a name as a replacement character", () => {
    // Act
    const shown = printable("DR\u001b[2J\u001b]0;pwned\u0007copy");

    // Assess
    expect(shown).toBe("DR\uFFFD[2J\uFFFD]0;pwned\uFFFDcopy");
  });

  it("shows a right-to-left override as a replacement character", () => {
    // Act
    const shown = printable("invoice\u202egpj.exe");

    // Assess
    expect(shown).toBe("invoice\uFFFDgpj.exe");
  });

  it("keeps its own line breaks and text in any script", () => {
    // Act
    const shown = printable("job-1  COMPLETED\n灾备副本 – week 49");

    // Assess
    expect(shown).toBe("job-1  COMPLETED\n灾备副本 – week 49");
  });
});
