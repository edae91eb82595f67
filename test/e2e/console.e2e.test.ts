// The ops console in a real browser (headless Chromium, driven by playwright-core) against the
// real local stack: it signs in from the address `snaprelay console` makes (a session in the
// fragment, dropped from the address at once), shows who is signed in and until when, lists the
// account's jobs, moves a running job's progress bar as the copy goes on, opens the job's timeline,
// and cancels another job; an approved account connects from it, and an admin revokes an account.
// It signs out with its button, and by itself when the session ends. A screenshot of the job list
// is written under the test output folder (.test-results/).
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOCAL } from "../../local/defaults.js";
import { consoleLink } from "../../scripts/cli/proof.js";
import { apiCall, replicateNewSnapshot } from "../support/api-call.js";
import { type Signer, signedAs } from "../support/signed-as.js";
import { type StackProcess, startStackProcess } from "../support/stack-process.js";
import { until } from "../support/until.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const SCREENSHOT = join(".test-results", "console.png");
// Not UTC and not a whole hour off it: a time shown in UTC, or in this machine's zone, is caught.
const TIME_ZONE = "Asia/Kolkata";

let dataDir: string;
let stack: StackProcess;
let browser: Browser;
let demo: Signer;

/** HH:MM:SS on the browser's wall clock. */
const wallClock = (iso: string) =>
  new Intl.DateTimeFormat("en-GB", {
    timeZone: TIME_ZONE,
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23",
  }).format(new Date(iso));

const newPage = () =>
  browser.newPage({ viewport: { width: 1400, height: 900 }, timezoneId: TIME_ZONE });

/** The page the CLI's address opens, signed in as `signer` once it shows who: with the session. */
const openConsole = async (signer: Signer, durationSeconds?: number) => {
  const link = await consoleLink(stack.api, signer, durationSeconds);
  const sessionToken = new URLSearchParams(new URL(link.url).hash.slice(1)).get("session") ?? "";
  const page = await newPage();
  await page.goto(link.url);
  await page.waitForSelector("#sign-out:visible");
  return { page, link, sessionToken };
};

const startJob = (blocks: number, label: string) =>
  replicateNewSnapshot(stack, demo, { blocks, label });

/** The progress a job's copy shows on the page now, or undefined while the job is not listed. */
const shownProgress = async (page: Page, jobId: string): Promise<number | undefined> => {
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
  demo = stack.token();
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
}, 200_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}, 60_000);

describe("the ops console", () => {
  it("is served without a session, with a policy that admits its own script only", async () => {
    // Act
    const response = await fetch(`${stack.api}/console`);

    // Assess
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/html");
    expect(response.headers.get("content-security-policy")).toMatch(/script-src 'sha256-/);
  });

  it("says how to sign in when it has no session", async () => {
    // Prepare
    const page = await newPage();

    // Act
    await page.goto(`${stack.api}/console`);
    await page.waitForSelector("#sign-in:visible");
    const told = await page.textContent("#sign-in");
    const dataShown = await page.isVisible("main");
    await page.close();

    // Assess
    expect(told).toBe(
      `Not signed in. To sign in, run npx snaprelay console --api ${stack.api} with your AWS credentials (it prints an address that opens this console signed in), or locally npm run -s proof -- --console.`,
    );
    expect(dataShown).toBe(false);
  });

  it("signs in from the address the CLI makes, drops the session from it, and shows who until when", async () => {
    // Act
    const { page, link, sessionToken } = await openConsole(demo);
    const address = page.url();
    const kept = await page.evaluate(() => sessionStorage.getItem("snaprelay-session"));
    const shown = await page.textContent("#signed-in");
    // The tab keeps its session across a reload, the address still without it.
    await page.reload();
    await page.waitForSelector("#sign-out:visible");
    const afterReload = await page.textContent("#signed-in");
    const addressAfterReload = page.url();
    await page.close();

    // Assess
    expect(sessionToken).toMatch(/^srs_/);
    expect(address).toBe(`${stack.api}/console`);
    expect(kept).toBe(sessionToken);
    expect(shown).toBe(
      `${LOCAL.demoAccountId} · arn:aws:iam::${LOCAL.demoAccountId}:user/local · session ends ${wallClock(link.expiresAt)}`,
    );
    expect(link).toMatchObject({
      accountId: LOCAL.demoAccountId,
      principalArn: `arn:aws:iam::${LOCAL.demoAccountId}:user/local`,
    });
    expect(afterReload).toBe(shown);
    expect(addressAfterReload).toBe(`${stack.api}/console`);
  });

  it("moves a running job's progress bar, opens its timeline, and cancels another job", async () => {
    // Prepare: a copy of about 30 s to watch, and one of about 100 s to cancel
    const watched = await startJob(60, "console-watch");
    const doomed = await startJob(200, "console-cancel");
    const { page } = await openConsole(demo);

    // Act: the progress bar, read twice while the copy runs
    const first = await until(
      "the watched job's copy to show progress",
      async () => {
        const progress = await shownProgress(page, watched);
        return progress !== undefined && progress > 0 && progress < 100 ? progress : undefined;
      },
      60_000,
    );
    const later = await until(
      "the progress bar to move",
      async () => {
        const progress = await shownProgress(page, watched);
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
    await page.close();

    // Assess
    expect(first).toBeGreaterThan(0);
    expect(later).toBeGreaterThan(first);
    expect(states).toEqual(expect.arrayContaining(["Validate", "AcquireSlot", "StartCopy"]));
    expect(cancelled).toBe(true);
    const job = await apiCall(stack.api, "GET", `/replications/${doomed}`, { token: demo });
    expect(job.body).toMatchObject({
      status: "CANCELLED",
      cancellation: { reason: "cancelled from the console" },
    });
    expect(slots).toMatch(/\d+ of 20 in use, \d+ waiting/);
    expect(statSync(SCREENSHOT).size).toBeGreaterThan(10_000);
  }, 180_000);

  it("says why a session it does not know is refused, and how to sign in again", async () => {
    // Prepare
    const page = await newPage();

    // Act
    await page.goto(`${stack.api}/console#session=srs_not-a-session`);
    await page.waitForSelector("#notice.error");
    const notice = await page.textContent("#notice");
    const told = await page.textContent("#sign-in");
    const address = page.url();
    const kept = await page.evaluate(() => sessionStorage.getItem("snaprelay-session"));
    await page.close();

    // Assess
    expect(notice).toMatch(/^Unauthorized: Authorization refused: the session is not known/);
    expect(told).toMatch(
      /^The API refused the session; sign in again: run npx snaprelay console --api /,
    );
    expect(address).toBe(`${stack.api}/console`);
    expect(kept).toBeNull();
  });

  it("signs out with its button: the API forgets the session, the page all it showed", async () => {
    // Prepare
    const { page, sessionToken } = await openConsole(demo);
    await page.waitForSelector("#jobs h2:has-text('Jobs (')");

    // Act
    await page.click("#sign-out");
    await page.waitForSelector("#sign-in:visible");
    const told = await page.textContent("#sign-in");
    const jobsLeft = await page.locator(".job").count();
    const whoLeft = await page.textContent("#signed-in");
    const kept = await page.evaluate(() => sessionStorage.getItem("snaprelay-session"));
    await page.close();
    const after = await apiCall(stack.api, "GET", "/session", { token: sessionToken });

    // Assess
    expect(told).toMatch(/^You signed out; sign in again: run npx snaprelay console --api /);
    expect(jobsLeft).toBe(0);
    expect(whoLeft).toBe("");
    expect(kept).toBeNull();
    expect(after.status).toBe(401);
    expect(after.body).toMatchObject({ error: { code: "Unauthorized" } });
  });

  it("signs itself out when its session ends", async () => {
    // Prepare: the shortest session there is
    const { page, link, sessionToken } = await openConsole(demo, 60);
    const shown = await page.textContent("#signed-in");

    // Act
    const told = await until(
      "the page to say the session ended",
      async () => {
        const text = (await page.textContent("#sign-in")) ?? "";
        return (await page.isVisible("#sign-in")) ? text : undefined;
      },
      90_000,
    );
    const endedBy = Date.now();
    const jobsLeft = await page.locator(".job").count();
    await page.close();
    const after = await apiCall(stack.api, "GET", "/replications", { token: sessionToken });

    // Assess
    expect(shown).toContain(`session ends ${wallClock(link.expiresAt)}`);
    expect(told).toMatch(
      new RegExp(
        `^Your session ended at ${wallClock(link.expiresAt)}; sign in again: run npx snaprelay console --api `,
      ),
    );
    expect(endedBy).toBeGreaterThanOrEqual(Date.parse(link.expiresAt));
    expect(jobsLeft).toBe(0);
    expect(after.status).toBe(401);
    expect(after.body).toMatchObject({
      error: {
        code: "Unauthorized",
        message: expect.stringMatching(/^Authorization refused: the session expired at /),
      },
    });
  }, 120_000);
});

describe("the ops console on an account's access", () => {
  const TENANT = "444455556666";

  it("connects an approved account once its role exists, and an admin revokes it", async () => {
    // Prepare: approved, and its role made with the external id its approval gave
    const tenant = signedAs(stack, TENANT);
    const admin = signedAs(stack, LOCAL.adminAccountId);
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
    const { page: asTenant } = await openConsole(tenant);
    const tenantShown = await asTenant.textContent("#signed-in");
    const tenantMayRevoke = await asTenant.isVisible("#account form.revoke");
    await until("the page to say the account is not connected", async () =>
      (await asTenant.textContent("#notice"))?.includes("AccountNotConnected") ? true : undefined,
    );
    const staysSignedIn = await asTenant.isVisible("#sign-out");
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
    const { page: asAdmin, link: adminLink } = await openConsole(admin);
    const adminShown = await asAdmin.textContent("#signed-in");
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
    expect(tenantShown).toMatch(
      new RegExp(`^${TENANT} · arn:aws:iam::${TENANT}:user/local · session ends `),
    );
    expect(tenantMayRevoke).toBe(false);
    expect(staysSignedIn).toBe(true);
    expect(connected).toContain(
      `Account ${TENANT} is connected through arn:aws:iam::${TENANT}:role/`,
    );
    expect(adminShown).toBe(
      `${LOCAL.adminAccountId} · ${LOCAL.adminPrincipal} · admin · session ends ${wallClock(adminLink.expiresAt)}`,
    );
    expect(revoked).toContain(`Account ${TENANT} is REVOKED; 0 jobs in flight cancelled`);
    expect(after.status).toBe(403);
    expect(after.body).toMatchObject({ error: { code: "AccountRevoked" } });
  }, 120_000);
});
