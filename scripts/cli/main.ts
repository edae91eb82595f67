// `npx snaprelay <command>`: the ops CLI over snaprelay's HTTP API. It reads the API's address
// from --api or SNAPRELAY_API_URL, proves who calls with the standard AWS credential chain
// (environment, profiles, SSO: each request carries a presigned GetCallerIdentity), prints tables and
// progress bars for people and, with --json, the API's JSON for scripts. A refusal prints the
// API's code and message and exits 1; bad usage exits 2. Never a stack trace.
import { parseArgs } from "node:util";
import { fromNodeProviderChain } from "@aws-sdk/credential-providers";
import type {
  AccessRequestBody,
  AccountConnectionBody,
  AccountRevocationBody,
  CopySlotsBody,
  HistoryBody,
  JobBody,
  JobListBody,
  PolicyDetailBody,
  PolicyListBody,
  PolicyRunBody,
  SessionBody,
} from "../../functions/api/openapi/schemas.js";
import { isFinishedJob } from "../../functions/core/job.js";
import { UsageError } from "../../local/usage-error.js";
import { ApiRefusal, type Client, httpClient } from "./client.js";
import { consoleLink, proofSigner } from "./proof.js";
import { duration, printable, progressBar, renderJob, table } from "./render.js";

const USAGE = `usage: snaprelay <command> [options]

commands:
  jobs [--status S] [--limit N]     the account's jobs, newest first
  job <jobId>                       one job, a progress bar per copy
  watch <jobId> [--every SECONDS]   the job, redrawn until it ends (exit 0 if COMPLETED)
  cancel <jobId> [--reason TEXT]    cancel a running job and clean up its copies
  history <jobId>                   what the job's execution did, state by state
  slots <region>                    the region's copy slots and queue
  policies                          the account's DR policies and their recovery points
  run <policyId>                    run a DR policy now
  onboarding <requestId> [--template]
                                    an approved account's role to create (--template: its YAML)
  connect                           let snaprelay try the account's role now
  revoke <accountId> [--note TEXT]  (admin) revoke an account's access, cancel its jobs in flight
  whoami                            the account and principal your credentials prove
  proof                             an Authorization header value for curl (good for 15 minutes)
  console [--minutes N]             a console address signed in as you (a session of N minutes, 60)

options:
  --api URL      the API (or SNAPRELAY_API_URL; npm start prints it)
  --profile P    the AWS profile to sign with (or AWS_PROFILE; default: the credential chain)
  --json         print the API's JSON, for scripts

Requests are signed with your AWS credentials; locally, with an account's local keys:
  eval "$(npm run -s cloud-env -- 111122223333)"`;

interface Options {
  json: boolean;
  status?: string | undefined;
  limit?: string | undefined;
  reason?: string | undefined;
  every?: string | undefined;
  note?: string | undefined;
  template?: boolean | undefined;
}

// JSON escapes every control character; text is made printable.
const print = (value: unknown) =>
  console.log(typeof value === "string" ? printable(value) : JSON.stringify(value, null, 2));

const argument = (args: string[], name: string): string => {
  const value = args[0];
  if (!value) throw new UsageError(`the command needs a ${name}`);
  return encodeURIComponent(value);
};

const jobsCommand = async (client: Client, options: Options) => {
  const query = new URLSearchParams();
  if (options.status) query.set("status", options.status);
  query.set("limit", options.limit ?? "20");
  const page = await client.get<JobListBody>(`/replications?${query}`);
  if (options.json) return print(page);
  if (page.jobs.length === 0) return print("no jobs");
  print(
    table(
      ["job", "status", "snapshot", "from", "copies", "created"],
      page.jobs.map((job) => [
        job.jobId,
        job.status,
        job.snapshotId,
        job.sourceRegion,
        job.copies.map((copy) => `${copy.destinationRegion}:${copy.status}`).join(" "),
        job.createdAt,
      ]),
    ),
  );
  if (page.nextToken) print("(more: narrow with --status, or raise --limit up to 100)");
};

const watchCommand = async (client: Client, jobId: string, options: Options): Promise<number> => {
  const everyMs = Math.max(0.2, Number(options.every ?? 2)) * 1000;
  if (!Number.isFinite(everyMs)) throw new UsageError("--every must be a number of seconds");
  const live = process.stdout.isTTY && !options.json;
  let drawn = 0;
  for (;;) {
    const job = await client.get<JobBody>(`/replications/${jobId}`);
    if (options.json) print(job);
    else {
      const text = renderJob(job);
      // On a terminal the picture is redrawn in place; in a pipe each look is a new block.
      if (live && drawn > 0) process.stdout.write(`\x1b[${drawn}A\x1b[0J`);
      print(text);
      drawn = text.split("\n").length;
    }
    if (isFinishedJob(job.status)) return job.status === "COMPLETED" ? 0 : 1;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
};

const historyCommand = async (client: Client, jobId: string, options: Options) => {
  const entries: HistoryBody["entries"] = [];
  let nextToken: string | undefined;
  do {
    const query = `limit=1000${nextToken ? `&nextToken=${encodeURIComponent(nextToken)}` : ""}`;
    const page = await client.get<HistoryBody>(`/replications/${jobId}/history?${query}`);
    entries.push(...page.entries);
    nextToken = page.nextToken;
  } while (nextToken);
  // A page gives a state once it has ended, so one entered early may come on a later page: the
  // whole history reads oldest entered first (the sort keeps each page's order for equal times).
  entries.sort((a, b) => (a.enteredAt < b.enteredAt ? -1 : a.enteredAt > b.enteredAt ? 1 : 0));
  if (options.json) return print({ jobId: decodeURIComponent(jobId), entries });
  print(
    table(
      ["entered", "state", "copy", "outcome", "took", "retries", "error"],
      entries.map((entry) => [
        entry.enteredAt,
        entry.state,
        entry.destinationRegion ?? "",
        entry.event,
        entry.durationMs === null ? "" : duration(entry.durationMs / 1000),
        entry.retries > 0 ? String(entry.retries) : "",
        entry.error ? `${entry.error}${entry.cause ? `: ${entry.cause.slice(0, 120)}` : ""}` : "",
      ]),
    ),
  );
};

const slotsCommand = async (client: Client, region: string, options: Options) => {
  const view = await client.get<CopySlotsBody>(`/regions/${region}/copy-slots`);
  if (options.json) return print(view);
  print(
    `${view.region}: ${view.inUse} of ${view.limit} slots in use ${progressBar((view.inUse / Math.max(1, view.limit)) * 100)}, ${view.queueLength} waiting`,
  );
  if (view.holders.length > 0) {
    print(
      table(
        ["holder", "since"],
        view.holders.map((h) => [h.jobId, h.since]),
      ),
    );
  }
};

const policiesCommand = async (client: Client, options: Options) => {
  const page = await client.get<PolicyListBody>("/policies?limit=100");
  // Each policy's recovery status comes with the policy itself.
  const details = await Promise.all(
    page.policies.map((policy) =>
      client.get<PolicyDetailBody>(`/policies/${encodeURIComponent(policy.policyId)}`),
    ),
  );
  if (options.json) return print({ policies: details });
  if (details.length === 0) return print("no policies");
  print(
    table(
      ["policy", "name", "from", "to", "schedule", "rpo", "next run"],
      details.map((policy) => [
        policy.policyId,
        policy.name,
        policy.sourceRegion,
        policy.destinationRegions.join(","),
        policy.enabled ? policy.schedule : `${policy.schedule} (paused)`,
        `${policy.recovery.status} (${policy.recovery.breached}/${policy.recovery.targets} breached)`,
        policy.nextRunAt ?? "-",
      ]),
    ),
  );
};

const onboardingCommand = async (client: Client, requestId: string, options: Options) => {
  const request = await client.get<AccessRequestBody>(`/access-requests/${requestId}`);
  if (options.json) return print(request);
  const onboarding = request.onboarding;
  if (!onboarding) {
    const state = request.access?.status ?? request.status;
    return print(`${request.requestId}: ${state}, no role to create`);
  }
  // The template alone, to save as the file the deploy command names.
  if (options.template) return print(onboarding.roleTemplate);
  print(
    [
      `${request.requestId}: ${request.access?.status ?? request.status}`,
      `role to create:  ${onboarding.roleArn}`,
      `trusting:        ${onboarding.trustedAccountId}`,
      `external id:     ${onboarding.externalId}`,
      "",
      `snaprelay onboarding ${request.requestId} --template > snaprelay-access-role.yml`,
      onboarding.deployCommand,
      "snaprelay connect",
    ].join("\n"),
  );
};

const revokeCommand = async (client: Client, accountId: string, options: Options) => {
  const revoked = await client.post<AccountRevocationBody>(
    `/admin/accounts/${accountId}/revoke`,
    options.note ? { note: options.note } : undefined,
  );
  if (options.json) return print(revoked);
  const by = revoked.revocation ? ` by ${revoked.revocation.by} at ${revoked.revocation.at}` : "";
  print(`account ${revoked.accountId}: ${revoked.status}${by}`);
  print(
    revoked.cancelledJobs.length === 0
      ? "no job in flight was cancelled"
      : `cancelled: ${revoked.cancelledJobs.join(" ")}`,
  );
  if (revoked.jobsStillInFlight) print("jobs are still in flight: run the same revoke again");
};

const run = async (argv: string[]): Promise<number> => {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      api: { type: "string" },
      profile: { type: "string" },
      minutes: { type: "string" },
      json: { type: "boolean", default: false },
      status: { type: "string" },
      limit: { type: "string" },
      reason: { type: "string" },
      every: { type: "string" },
      note: { type: "string" },
      template: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  const [command, ...args] = positionals;
  if (values.help || !command) {
    print(USAGE);
    return command || values.help ? 0 : 2;
  }
  const apiUrl = values.api ?? process.env.SNAPRELAY_API_URL;
  if (!apiUrl)
    throw new UsageError(
      "say where the API is: --api URL or SNAPRELAY_API_URL (npm start prints it)",
    );
  const signer = proofSigner(
    apiUrl,
    fromNodeProviderChain(values.profile ? { profile: values.profile } : {}),
  );
  const client = httpClient(apiUrl, signer);
  const options: Options = { ...values, json: values.json ?? false };
  switch (command) {
    case "whoami": {
      const me = await client.get<SessionBody>("/session");
      print(
        options.json
          ? me
          : `${me.principalArn} (account ${me.accountId})${me.admin ? ", admin" : ""}`,
      );
      return 0;
    }
    case "proof":
      // Only the header's value, on one line: curl -H "Authorization: $(snaprelay proof)".
      console.log(await client.authorization());
      return 0;
    case "console": {
      const minutes = values.minutes === undefined ? 60 : Number(values.minutes);
      if (!Number.isInteger(minutes) || minutes < 1 || minutes > 720) {
        throw new UsageError(
          `--minutes must be a whole number from 1 to 720, not "${values.minutes}"`,
        );
      }
      // Signed as every command is, so that missing credentials are said the same way.
      const link = await consoleLink(apiUrl, { authorization: client.authorization }, minutes * 60);
      print(
        options.json
          ? link
          : `${link.url}\n(signed in as ${link.principalArn} until ${link.expiresAt}; keep the address to yourself)`,
      );
      return 0;
    }
    case "jobs":
      await jobsCommand(client, options);
      return 0;
    case "job": {
      const job = await client.get<JobBody>(`/replications/${argument(args, "job id")}`);
      print(options.json ? job : renderJob(job));
      return 0;
    }
    case "watch":
      return watchCommand(client, argument(args, "job id"), options);
    case "cancel": {
      const job = await client.post<JobBody>(
        `/replications/${argument(args, "job id")}/cancel`,
        options.reason ? { reason: options.reason } : undefined,
      );
      print(options.json ? job : renderJob(job));
      return 0;
    }
    case "history":
      await historyCommand(client, argument(args, "job id"), options);
      return 0;
    case "slots":
      await slotsCommand(client, argument(args, "region"), options);
      return 0;
    case "policies":
      await policiesCommand(client, options);
      return 0;
    case "run": {
      const started = await client.post<PolicyRunBody>(
        `/policies/${argument(args, "policy id")}/run`,
      );
      print(
        options.json
          ? started
          : `run ${started.runId}: ${started.status}, ${started.counts.jobs} jobs, ${started.counts.skipped} skipped, ${started.counts.failures} failed (each volume: ${started.volumesHref})`,
      );
      return 0;
    }
    case "onboarding":
      await onboardingCommand(client, argument(args, "access request id"), options);
      return 0;
    case "connect": {
      const connected = await client.post<AccountConnectionBody>("/account/connect");
      print(
        options.json
          ? connected
          : `account ${connected.accountId}: ${connected.status} through ${connected.roleArn} since ${connected.connectedAt}`,
      );
      return 0;
    }
    case "revoke":
      await revokeCommand(client, argument(args, "account id"), options);
      return 0;
    default:
      throw new UsageError(`no command ${command}`);
  }
};

try {
  process.exitCode = await run(process.argv.slice(2));
} catch (error) {
  if (error instanceof ApiRefusal) {
    console.error(printable(`snaprelay: ${error.code}: ${error.message}`));
    process.exitCode = 1;
  } else if (error instanceof UsageError || (error instanceof TypeError && "code" in error)) {
    // parseArgs' own refusals (an unknown option) are TypeErrors with a code.
    console.error(`snaprelay: ${error.message}\n\n${USAGE}`);
    process.exitCode = 2;
  } else {
    console.error(
      printable(`snaprelay: ${error instanceof Error ? error.message : String(error)}`),
    );
    process.exitCode = 1;
  }
}
