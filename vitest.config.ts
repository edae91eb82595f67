import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/support/global-setup.ts"],
    // Service-backed tests start real servers; give them room on a shared 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    // The handlers' JSON logs would bury the test report; tests assert outcomes, not log lines.
    env: { POWERTOOLS_LOG_LEVEL: "SILENT" },
    reporters: process.env.CI ? ["default", "json"] : ["default"],
    outputFile: { json: ".test-results/vitest.json" },
  },
});
