// The ops console in a real browser (headless Chromium, driven by playwright-core) against the
// real local stack: it signs in with a token, lists the account's jobs, moves a running job's
// progress bar as the copy goes on, opens the job's timeline, and cancels another job; an approved
// account connects from it, and an admin revokes an account. A screenshot of the job list is
// written under the test output folder (.test-results/).
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_ROLE, issueToken } from "../../functions/api/tokens.js";
import { LOCAL } from "../../local/defaults.js";
import { apiCall, replicateNewSnapshot } from "../support/api-call.js";
import { type StackProcess, startStackProcess } from "../support/stack-process.js";
import { until } from "../support/until.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const SCREENSHOT = join(".test-results", "console.png");

let dataDir: string;
let stack: StackProcess;
let browser: Browser;
let page: Page;
let token: string;

const startJob = (blocks: number, label: string) =>
  replicateNewSnapshot(stack, token, { blocks, label });

/** The progress a job's copy shows on the page now, or undefined while the job is not listed. */
const shownProgress = async (jobId: string): Promise<number | undefined> => {
  const copy = page.locator(`.job[data-job="${jobId}"] .copy`).first();
  if ((await copy.count()) === 0) return undefined;
  return Number(await copy.getAttribute("data-progress"));
};

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `The console test drives Chromium at ${CHROMIUM}, which is not installed. Install Debian's: sudo apt-get install -y chromium (or set CHROMIUM_PATH).`,
    );
  }
  dataDir = mkdtempSync(join(tmpdir(), "snaprelay-console-"));
  stack = await startStackProcess({
    dataDir,
    // 1 MiB/s: a copy of n blocks of 512 KiB lasts n/2 seconds.
    env: { LOCAL_CLOUD_COPY_BYTES_PER_SECOND: String(1024 * 1024) },
  });
  token = await issueToken(LOCAL.demoAccountId, {
    secret: LOCAL.authTokenSecret,
    issuer: LOCAL.authTokenIssuer,
  });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    // As root on a closed network: no sandbox, and none of Chromium's own calls home.
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
}, 200_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}, 60_000);

describe("the ops console", () => {
  it("is served without a token, with a policy that admits its own script only", async () => {
    // Act
    const response = await fetch(`${stack.api}/console`);

    // Assess
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/html");
    expect(response.headers.get("content-security-policy")).toMatch(/script-src 'sha256-/);
  });

  it("signs in, moves a running job's progress bar, opens its timeline, and cancels another job", async () => {
    // Prepare: a copy of about 30 s to watch, and one of about 100 s to cancel
    const watched = await startJob(60, "console-watch");
    const doomed = await startJob(200, "console-cancel");
    await page.goto(`${stack.api}/console`);
    await page.fill("#token", token);
    await page.click("#sign-in button[type=submit]");

    // Act: the progress bar, read twice while the copy runs
    const first = await until(
      "the watched job's copy to show progress",
      async () => {
        const progress = await shownProgress(watched);
        return progress !== undefined && progress > 0 && progress < 100 ? progress : undefined;
      },
      60_000,
    );
    const later = await until(
      "the progress bar to move",
      async () => {
        const progress = await shownProgress(watched);
        return progress !== undefined && progress > first ? progress : undefined;
      },
      30_000,
    );
    mkdirSync(".test-results", { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    // The timeline
    await page.click(`.job[data-job="${watched}"] .timeline-button`);
    await page.waitForSelector("#timeline tr.entry td.state");
    const states = await page.locator("#timeline td.state").allTextContents();
    // Cancel the other job
    await page.click(`.job[data-job="${doomed}"] .cancel-button`);
    const cancelled = await until(
      "the cancelled job to show CANCELLED",
      async () =>
        (await page.getAttribute(`.job[data-job="${doomed}"]`, "data-status")) === "CANCELLED"
          ? true
          : undefined,
      30_000,
    );
    const slots = await page.locator(`#slots .slots[data-region="ap-mumbai"]`).textContent();

    // Assess
    expect(first).toBeGreaterThan(0);
    expect(later).toBeGreaterThan(first);
    expect(states).toEqual(expect.arrayContaining(["Validate", "AcquireSlot", "StartCopy"]));
    expect(cancelled).toBe(true);
    const job = await apiCall(stack.api, "GET", `/replications/${doomed}`, { token });
    expect(job.body).toMatchObject({
      status: "CANCELLED",
      cancellation: { reason: "cancelled from the console" },
    });
    expect(slots).toMatch(/\d+ of 20 in use, \d+ waiting/);
    expect(statSync(SCREENSHOT).size).toBeGreaterThan(10_000);
  }, 180_000);

  it("says why a bad token is refused, and asks to sign in again", async () => {
    // Prepare
    const fresh = await browser.newPage();
    await fresh.goto(`${stack.api}/console`);

    // Act
    await fresh.fill("#token", "not-a-token");
    await fresh.click("#sign-in button[type=submit]");
    await fresh.waitForSelector("#notice.error");

    // Assess
    expect(await fresh.textContent("#notice")).toMatch(/^Unauthorized: /);
    expect(await fresh.isVisible("#sign-in")).toBe(true);
    await fresh.close();
  }, 60_000);
});

describe("the ops console on an account's access", () => {
  const TENANT = "444455556666";
  const ADMIN = "000011112222";
  const settings = { secret: LOCAL.authTokenSecret, issuer: LOCAL.authTokenIssuer };

  const signIn = async (as: string) => {
    const fresh = await browser.newPage();
    await fresh.goto(`${stack.api}/console`);
    await fresh.fill("#token", as);
    await fresh.click("#sign-in button[type=submit]");
    return fresh;
  };

  it("connects an approved account once its role exists, and an admin revokes it", async () => {
    // Prepare: approved, and its role made with the external id its approval gave
    const tenant = await issueToken(TENANT, settings);
    const admin = await issueToken(ADMIN, settings, 3600, [ADMIN_ROLE]);
    const applied = await apiCall(stack.api, "POST", "/access-requests", {
      token: tenant,
      body: { reason: "DR copies of the orders database", contact: "ops@example.com" },
    });
    const approved = await apiCall(
      stack.api,
      "POST",
      `/admin/access-requests/${String(applied.body.requestId)}/approve`,
      { token: admin },
    );
    const { externalId } = approved.body.onboarding as { externalId: string };

    // Act: signed in before its role exists, then connected from the page
    const asTenant = await signIn(tenant);
    await until("the page to say the account is not connected", async () =>
      (await asTenant.textContent("#notice"))?.includes("AccountNotConnected") ? true : undefined,
    );
    const staysSignedIn = !(await asTenant.isVisible("#sign-in"));
    await fetch(`${stack.cloudUrl}/_admin/roles`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ accountId: TENANT, roleName: LOCAL.accountRoleName, externalId }),
    });
    await asTenant.click(".connect-button");
    const connected = await until("the page to say the account is connected", async () => {
      const notice = (await asTenant.textContent("#account-result")) ?? "";
      return notice.includes("is connected") ? notice : undefined;
    });
    await asTenant.close();

    // Act: an admin revokes it from the page
    const asAdmin = await signIn(admin);
    await asAdmin.fill("#revoke-account", TENANT);
    await asAdmin.fill("#revoke-note", "left the beta");
    await asAdmin.click("#account form.revoke button");
    const revoked = await until("the page to say the account is revoked", async () => {
      const notice = (await asAdmin.textContent("#account-result")) ?? "";
      return notice.includes("REVOKED") ? notice : undefined;
    });
    await asAdmin.close();
    const after = await apiCall(stack.api, "GET", "/replications", { token: tenant });

    // Assess
    expect(staysSignedIn).toBe(true);
    expect(connected).toContain(
      `Account ${TENANT} is connected through arn:aws:iam::${TENANT}:role/`,
    );
    expect(revoked).toContain(`Account ${TENANT} is REVOKED; 0 jobs in flight cancelled`);
    expect(after.status).toBe(403);
    expect(after.body).toMatchObject({ error: { code: "AccountRevoked" } });
  }, 120_000);
});
