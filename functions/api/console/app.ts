/// <reference lib="dom" />
// The ops console: one page that reads the same public API as every other client. It signs in
// with a session the CLI makes from the caller's AWS credentials (`snaprelay console`), handed
// over in the address's fragment, and signs out when the session ends. It shows the account's
// jobs newest first (a progress bar, ETA, status colour and error per copy, live for jobs in
// flight), a job's timeline from its history, the copy slots and queue of each region the jobs
// copy to, and the DR policies with their RPO status; it can cancel a job and run a policy now,
// connect the account (once its role is made), and, signed in as an admin, revoke an account's
// access. Bundled for the browser by the project's build.

import { isFinishedJob } from "../../core/job.js";
import type {
  AccountConnectionBody,
  AccountRevocationBody,
  CopyBody,
  CopySlotsBody,
  HistoryBody,
  JobBody,
  JobListBody,
  PolicyDetailBody,
  PolicyListBody,
  PolicyRunBody,
  SessionBody,
} from "../openapi/schemas.js";

// The API's own response types (type-only: nothing of the schemas reaches the browser bundle).
type Copy = CopyBody;
type Job = JobBody;
type Slots = CopySlotsBody;
/** A policy as listed, with its recovery status once its own view is read. */
type Policy = PolicyListBody["policies"][number] & Partial<Pick<PolicyDetailBody, "recovery">>;

const SESSION_KEY = "snaprelay-session";
const REFRESH_MS = 2000;

/**
 * The session handed over as `#session=srs_…`, kept for this tab only, and dropped from the
 * address before anything else runs: an address is shared, bookmarked and kept in history, a
 * session token must not be.
 */
const takeSessionFromAddress = (): string | undefined => {
  if (!location.hash) return undefined;
  const handed = new URLSearchParams(location.hash.slice(1)).get("session");
  if (handed === null) return undefined;
  history.replaceState(history.state, "", `${location.pathname}${location.search}`);
  return handed.trim();
};

const handedOver = takeSessionFromAddress();

const $ = <T extends HTMLElement>(selector: string) => {
  const element = document.querySelector<T>(selector);
  if (!element) throw new Error(`the page has no ${selector}`);
  return element;
};

/** An element with attributes and children; text is always set as text, never as HTML. */
const h = (
  tag: string,
  attributes: Record<string, string> = {},
  ...children: (Node | string | null)[]
): HTMLElement => {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  for (const child of children) if (child !== null) element.append(child);
  return element;
};

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The session signed in: its token, and once GET /session answers, who it is and until when. */
interface SignedIn {
  token: string;
  who?: SessionBody;
  endTimer?: ReturnType<typeof setTimeout>;
}

let current: SignedIn | undefined;

const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
  const session = current;
  if (!session) throw new ApiError(401, "Unauthorized", "not signed in");
  const response = await fetch(path, {
    method,
    headers: {
      authorization: `Bearer ${session.token}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const parsed = (await response.json().catch(() => ({}))) as {
    error?: { code: string; message: string };
    message?: string;
  };
  if (!response.ok) {
    const error = new ApiError(
      response.status,
      parsed.error?.code ?? `HTTP ${response.status}`,
      parsed.error?.message ?? parsed.message ?? response.statusText,
    );
    // The session is over (ended, signed out elsewhere, never known): nothing more can be read
    // with it. A 403 is not: the account may have yet to connect, or the caller not be an admin.
    // A refusal of a session already replaced says nothing of the one signed in now.
    if (error.status === 401 && current === session) {
      if (session.who && Date.now() >= Date.parse(session.who.expiresAt)) {
        signOut(endedAt(session.who.expiresAt));
      } else {
        signOut("The API refused the session; sign in again: ", describe(error));
      }
    }
    throw error;
  }
  return parsed as T;
};

const say = (message: string, isError = false) => {
  const notice = $("#notice");
  notice.textContent = message;
  notice.className = isError ? "notice error" : "notice";
};

const eta = (seconds: number | null) => {
  if (seconds === null) return "";
  const whole = Math.max(0, Math.round(seconds));
  if (whole >= 3600) return `eta ${Math.floor(whole / 3600)}h${Math.floor((whole % 3600) / 60)}m`;
  if (whole >= 60) return `eta ${Math.floor(whole / 60)}m${whole % 60}s`;
  return `eta ${whole}s`;
};

const badge = (status: string) => h("span", { class: `badge ${status.toLowerCase()}` }, status);

const copyRow = (copy: Copy) => {
  const bar = h("div", { class: "bar" }, h("div", { class: `fill ${copy.status.toLowerCase()}` }));
  (bar.firstChild as HTMLElement).style.width = `${Math.max(0, Math.min(100, copy.progress))}%`;
  const where =
    copy.status === "QUEUED" && typeof copy.queuePosition === "number"
      ? `${copy.queuePosition} ahead in the queue`
      : copy.status === "COPYING"
        ? eta(copy.etaSeconds)
        : "";
  const note = copy.error
    ? h("span", { class: "error" }, `${copy.error.code}: ${copy.error.message}`)
    : copy.cleanup
      ? `partial copy ${copy.cleanup.snapshotId} ${copy.cleanup.state.toLowerCase()}`
      : (copy.destinationSnapshotId ?? "");
  return h(
    "div",
    {
      class: "copy",
      "data-region": copy.destinationRegion,
      "data-progress": String(copy.progress),
    },
    h("span", { class: "region" }, copy.destinationRegion),
    badge(copy.status),
    bar,
    h("span", { class: "percent" }, `${copy.progress}%`),
    h("span", { class: "eta" }, where),
    h("span", { class: "note" }, note),
  );
};

let openTimeline: string | null = null;

const jobCard = (job: Job) => {
  const actions = h("span", { class: "actions" });
  const timeline = h("button", { class: "timeline-button" }, "Timeline");
  timeline.addEventListener("click", () => void showTimeline(job.jobId));
  actions.append(timeline);
  if (!isFinishedJob(job.status)) {
    const cancel = h("button", { class: "cancel-button" }, "Cancel");
    cancel.addEventListener("click", () => void cancelJob(job.jobId));
    actions.append(cancel);
  }
  return h(
    "div",
    { class: "job", "data-job": job.jobId, "data-status": job.status },
    h(
      "div",
      { class: "job-head" },
      badge(job.status),
      h("span", { class: "job-id" }, job.jobId),
      h("span", { class: "job-what" }, `${job.snapshotId} from ${job.sourceRegion}`),
      h("span", { class: "job-when" }, new Date(job.createdAt).toLocaleString()),
      actions,
    ),
    ...job.copies.map(copyRow),
    job.error ? h("div", { class: "error" }, `${job.error.code}: ${job.error.message}`) : null,
    job.cancellation
      ? h(
          "div",
          { class: "cancelled" },
          `cancelled by ${job.cancellation.by} at ${job.cancellation.at}${job.cancellation.reason ? `: ${job.cancellation.reason}` : ""}`,
        )
      : null,
  );
};

/** How many pages of history the timeline reads at most: a job with thousands of states is cut. */
const MAX_HISTORY_PAGES = 20;

/**
 * The job's history, every page: a page gives a state once it has ended, so one entered early may
 * come on a later page; the timeline shows them oldest entered first.
 */
const wholeHistory = async (jobId: string): Promise<HistoryBody["entries"]> => {
  const entries: HistoryBody["entries"] = [];
  let nextToken: string | undefined;
  for (let page = 0; page < MAX_HISTORY_PAGES; page++) {
    const token = nextToken ? `&nextToken=${encodeURIComponent(nextToken)}` : "";
    const body = await api<HistoryBody>(
      "GET",
      `/replications/${encodeURIComponent(jobId)}/history?limit=1000${token}`,
    );
    entries.push(...body.entries);
    nextToken = body.nextToken;
    if (!nextToken) break;
  }
  return entries.sort((a, b) =>
    a.enteredAt < b.enteredAt ? -1 : a.enteredAt > b.enteredAt ? 1 : 0,
  );
};

const showTimeline = async (jobId: string) => {
  openTimeline = jobId;
  const panel = $("#timeline");
  panel.replaceChildren(h("h2", {}, `Timeline of ${jobId}`), h("p", {}, "reading…"));
  try {
    const entries = await wholeHistory(jobId);
    // Closed, another opened, or signed out while it was read: it is no longer wanted.
    if (openTimeline !== jobId) return;
    const longest = Math.max(1, ...entries.map((entry) => entry.durationMs ?? 0));
    const rows = entries.map((entry) => {
      const bar = h("div", { class: "span" });
      bar.style.width = `${Math.max(1, ((entry.durationMs ?? 0) / longest) * 100)}%`;
      return h(
        "tr",
        { class: `entry ${entry.event.toLowerCase()}` },
        h("td", {}, new Date(entry.enteredAt).toLocaleTimeString()),
        h("td", { class: "state" }, entry.state),
        h("td", {}, entry.destinationRegion ?? ""),
        h("td", {}, badge(entry.event.toUpperCase())),
        h(
          "td",
          { class: "duration" },
          bar,
          entry.durationMs === null ? "" : `${entry.durationMs} ms`,
        ),
        h("td", {}, entry.retries > 0 ? `${entry.retries} retries` : ""),
        h("td", { class: "error" }, entry.error ? `${entry.error}: ${entry.cause ?? ""}` : ""),
      );
    });
    const close = h("button", {}, "Close");
    close.addEventListener("click", () => {
      openTimeline = null;
      panel.replaceChildren();
    });
    panel.replaceChildren(
      h("h2", {}, `Timeline of ${jobId} `, close),
      h(
        "table",
        { class: "timeline" },
        h(
          "tr",
          {},
          ...["entered", "state", "copy", "outcome", "duration", "", "error"].map((t) =>
            h("th", {}, t),
          ),
        ),
        ...rows,
      ),
    );
  } catch (error) {
    if (openTimeline === jobId) panel.replaceChildren(h("p", { class: "error" }, describe(error)));
  }
};

const cancelJob = async (jobId: string) => {
  try {
    await api("POST", `/replications/${encodeURIComponent(jobId)}/cancel`, {
      reason: "cancelled from the console",
    });
    say(`Cancelled ${jobId}.`);
    await refresh();
  } catch (error) {
    complain(error);
  }
};

const runPolicy = async (policyId: string) => {
  try {
    const run = await api<PolicyRunBody>("POST", `/policies/${encodeURIComponent(policyId)}/run`);
    const { jobs, skipped, failures } = run.counts;
    say(
      `Policy run ${run.runId}: ${run.status}, ${jobs} jobs, ${skipped} volumes skipped, ${failures} failed.`,
    );
    await refresh();
  } catch (error) {
    complain(error);
  }
};

/** An account action's outcome, beside its controls: the refreshes' notices never cover it. */
const sayOnAccount = (message: string, isError = false) => {
  const result = $("#account-result");
  result.textContent = message;
  result.className = isError ? "error" : "";
};

const connectAccount = async () => {
  try {
    const connected = await api<AccountConnectionBody>("POST", "/account/connect");
    sayOnAccount(`Account ${connected.accountId} is connected through ${connected.roleArn}.`);
    await refresh();
  } catch (error) {
    sayOnAccount(describe(error), true);
  }
};

const revokeAccount = async (accountId: string, note: string) => {
  try {
    const revoked = await api<AccountRevocationBody>(
      "POST",
      `/admin/accounts/${encodeURIComponent(accountId)}/revoke`,
      note ? { note } : {},
    );
    const cancelled = revoked.cancelledJobs.length;
    sayOnAccount(
      `Account ${revoked.accountId} is ${revoked.status}; ${cancelled} job${cancelled === 1 ? "" : "s"} in flight cancelled${revoked.jobsStillInFlight ? ", some still in flight: revoke again" : ""}.`,
    );
  } catch (error) {
    sayOnAccount(describe(error), true);
  }
};

/** The account's own connect, and, for an admin, the revoke of any account. */
const renderAccount = (admin: boolean) => {
  const connect = h("button", { class: "connect-button" }, "Connect account");
  connect.addEventListener("click", () => void connectAccount());
  const revoking: HTMLElement[] = [];
  if (admin) {
    const accountId = h("input", {
      id: "revoke-account",
      placeholder: "account id",
      pattern: "\\d{12}",
      size: "14",
    }) as HTMLInputElement;
    const note = h("input", {
      id: "revoke-note",
      placeholder: "why (optional)",
    }) as HTMLInputElement;
    const revoke = h("form", { class: "revoke" }, accountId, note, h("button", {}, "Revoke"));
    revoke.addEventListener("submit", (event) => {
      event.preventDefault();
      void revokeAccount(accountId.value.trim(), note.value.trim());
    });
    revoking.push(h("p", {}, "Admin: revoke an account's access and cancel its jobs in flight."));
    revoking.push(revoke);
  }
  $("#account").replaceChildren(
    h("h2", {}, "Account"),
    h("p", {}, "Once its role is made, as its approval says: ", connect),
    ...revoking,
    h("p", { id: "account-result" }),
  );
};

const describe = (error: unknown) =>
  error instanceof ApiError ? `${error.code}: ${error.message}` : String(error);

const renderSlots = (slots: Slots[]) =>
  $("#slots").replaceChildren(
    h("h2", {}, "Copy slots"),
    ...slots.map((view) => {
      const bar = h("div", { class: "bar" }, h("div", { class: "fill copying" }));
      (bar.firstChild as HTMLElement).style.width =
        `${(view.inUse / Math.max(1, view.limit)) * 100}%`;
      return h(
        "div",
        { class: "slots", "data-region": view.region },
        h("span", { class: "region" }, view.region),
        bar,
        h("span", {}, `${view.inUse} of ${view.limit} in use, ${view.queueLength} waiting`),
      );
    }),
  );

const renderPolicies = (policies: Policy[]) =>
  $("#policies").replaceChildren(
    h("h2", {}, "DR policies"),
    ...(policies.length === 0 ? [h("p", {}, "no policies")] : []),
    ...policies.map((policy) => {
      const run = h("button", { class: "run-button" }, "Run now");
      run.addEventListener("click", () => void runPolicy(policy.policyId));
      const recovery = policy.recovery;
      return h(
        "div",
        { class: "policy", "data-policy": policy.policyId },
        badge(recovery?.status ?? "OK"),
        h("span", { class: "policy-name" }, policy.name),
        h(
          "span",
          {},
          `${policy.sourceRegion} → ${policy.destinationRegions.join(", ")}, ${policy.enabled ? policy.schedule : "paused"}`,
        ),
        h(
          "span",
          {},
          recovery ? `${recovery.breached} of ${recovery.targets} recovery points breached` : "",
        ),
        run,
      );
    }),
  );

/** A time as the clock on the wall shows it here: HH:MM:SS, local. */
const clockTime = (iso: string) => {
  const at = new Date(iso);
  return [at.getHours(), at.getMinutes(), at.getSeconds()]
    .map((part) => String(part).padStart(2, "0"))
    .join(":");
};

const endedAt = (expiresAt: string) =>
  `Your session ended at ${clockTime(expiresAt)}; sign in again: `;

/** This API's address as the CLI takes it: where this page is served, less the page's own path. */
const apiAddress = () => `${location.origin}${location.pathname.replace(/\/console\/?$/, "")}`;

const showSignIn = (lead: string) => {
  const panel = $("#sign-in");
  panel.replaceChildren(
    h(
      "p",
      {},
      lead,
      "run ",
      h("code", {}, `npx snaprelay console --api ${apiAddress()}`),
      " with your AWS credentials (it prints an address that opens this console signed in), or locally ",
      h("code", {}, "npm run -s proof -- --console"),
      ".",
    ),
  );
  panel.hidden = false;
};

const clearData = () => {
  openTimeline = null;
  $("#jobs").replaceChildren(h("h2", {}, "Jobs"));
  $("#slots").replaceChildren(h("h2", {}, "Copy slots"));
  $("#policies").replaceChildren(h("h2", {}, "DR policies"));
  $("#account").replaceChildren(h("h2", {}, "Account"));
  $("#timeline").replaceChildren();
};

/** Forgets the session and all it showed; `lead` says why, before how to sign in again. */
const signOut = (lead: string, notice = "") => {
  if (current?.endTimer !== undefined) clearTimeout(current.endTimer);
  current = undefined;
  sessionStorage.removeItem(SESSION_KEY);
  clearData();
  $("main").hidden = true;
  $("#signed-in").textContent = "";
  $("#sign-out").hidden = true;
  say(notice, notice !== "");
  showSignIn(lead);
};

const signIn = (token: string) => {
  if (current?.endTimer !== undefined) clearTimeout(current.endTimer);
  current = { token };
  sessionStorage.setItem(SESSION_KEY, token);
  clearData();
  $("#sign-in").hidden = true;
  $("#signed-in").textContent = "signing in…";
  say("");
  void refresh();
};

/** Who the session is and until when; a timer signs the page out then. */
const learnWho = async (session: SignedIn) => {
  const who = await api<SessionBody>("GET", "/session");
  if (current !== session) return;
  session.who = who;
  session.endTimer = setTimeout(
    () => {
      if (current === session) signOut(endedAt(who.expiresAt));
    },
    Math.max(0, Date.parse(who.expiresAt) - Date.now()),
  );
  $("#signed-in").textContent = [
    who.accountId,
    who.principalArn,
    ...(who.admin ? ["admin"] : []),
    `session ends ${clockTime(who.expiresAt)}`,
  ].join(" · ");
  $("#sign-out").hidden = false;
  renderAccount(who.admin);
  $("main").hidden = false;
};

/** Signing out: the API forgets the session, then the page does. */
const endSession = async () => {
  const session = current;
  if (!session) return;
  try {
    await api("DELETE", "/session");
    if (current === session) signOut("You signed out; sign in again: ");
  } catch (error) {
    if (current === session) {
      signOut(
        "Signed out of this page; sign in again: ",
        `The API did not end the session (it lasts until it expires): ${describe(error)}`,
      );
    }
  }
};

/** An error worth a notice: a refused session has signed the page out and said why already. */
const complain = (error: unknown) => {
  if (!(error instanceof ApiError && error.status === 401)) say(describe(error), true);
};

let refreshing = false;

const refresh = async () => {
  const session = current;
  if (refreshing || !session) return;
  refreshing = true;
  try {
    if (!session.who) await learnWho(session);
    // A timer does not count the time a machine slept: a refresh past the end signs out too.
    if (session.who && current === session && Date.now() >= Date.parse(session.who.expiresAt)) {
      signOut(endedAt(session.who.expiresAt));
    }
    if (current !== session) return;
    const page = await api<JobListBody>("GET", "/replications?limit=50");
    // A job in flight is read on its own: that view carries live progress, ETA and queue places.
    const jobs = await Promise.all(
      page.jobs.map((job) =>
        isFinishedJob(job.status)
          ? job
          : api<Job>("GET", `/replications/${encodeURIComponent(job.jobId)}`).catch(() => job),
      ),
    );
    if (current !== session) return;
    $("#jobs").replaceChildren(
      h("h2", {}, `Jobs (${jobs.length})`),
      ...(jobs.length === 0 ? [h("p", {}, "no jobs yet")] : jobs.map(jobCard)),
    );
    const regions = [...new Set(jobs.flatMap((job) => job.copies.map((c) => c.destinationRegion)))];
    const slots = await Promise.all(
      regions.sort().map((region) => api<Slots>("GET", `/regions/${region}/copy-slots`)),
    );
    if (current !== session) return;
    renderSlots(slots);
    const { policies } = await api<PolicyListBody>("GET", "/policies?limit=100");
    const detailed = await Promise.all(
      policies.map((policy) =>
        api<PolicyDetailBody>("GET", `/policies/${encodeURIComponent(policy.policyId)}`).catch(
          () => policy,
        ),
      ),
    );
    if (current !== session) return;
    renderPolicies(detailed);
  } catch (error) {
    // A 403 leaves the session signed in: the account may have yet to connect, or be an admin's.
    if (current === session) complain(error);
  } finally {
    refreshing = false;
  }
};

const start = () => {
  $("#sign-out").addEventListener("click", () => void endSession());
  // Another console address opened in this tab changes the fragment only: no new page loads.
  window.addEventListener("hashchange", () => {
    const handed = takeSessionFromAddress();
    if (handed) signIn(handed);
  });
  const token = handedOver || sessionStorage.getItem(SESSION_KEY);
  if (token) signIn(token);
  else signOut("Not signed in. To sign in, ");
  setInterval(() => {
    void refresh();
    if (openTimeline) void showTimeline(openTimeline);
  }, REFRESH_MS);
};

start();
