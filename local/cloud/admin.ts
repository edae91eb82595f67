// The local cloud's admin tool: `npx tsx local/cloud/admin.ts <command>`. It talks to a running
// cloud (npm start, or main.ts) over its /_admin/ routes and prints JSON; `help` lists the commands.
import { parseArgs } from "node:util";
import { log } from "../log.js";
import { UsageError } from "../usage-error.js";
import { messageOf } from "./error-message.js";

const USAGE = `Usage: npx tsx local/cloud/admin.ts <command> [options]

Commands:
  stats                                   counts per region, copies and bytes sent, summed and per
                                          account (with --account: that account's only), and the
                                          local STS's AssumeRole calls
  create-volume --region R --size N       a volume of N bytes (suffixes KiB, MiB, GiB), a whole
                                          number of blocks: for small tests (EC2 sizes are GiB)
  write-volume  --region R --volume vol-… --block N [--count K] [--seed S]
                                          fills blocks N … N+K-1 (K default 1) with pseudo-random
                                          data that depends only on S and the block (S default random)
  manifest      --region R (--snapshot snap-… | --volume vol-…)
                                          the blocks: [index, sha256] of each block not all zeros
  copy-report   --region R --snapshot snap-…
                                          what a copy sent (bytesTransferred) and skipped
  create-role   --account A --role NAME [--external-id ID]
                                          a role the local STS lets callers assume (AssumeRole of
                                          arn:aws:iam::A:role/NAME, passing exactly ID if given);
                                          creating it again replaces it
  roles                                   the roles (with --account: that account's)
  credentials                             the account's local keys, as JSON: every request to the
                                          cloud is signed with an account's keys, and acts in it
  env [ACCOUNT]                           the same as shell lines that point the AWS CLI and SDKs
                                          at the cloud with those keys (npm run -s cloud-env --
                                          ACCOUNT): eval "$(npm run -s cloud-env -- 111122223333)"

Options:
  --account A      the 12-digit account the command acts in; default the cloud's default account
  --endpoint URL   the cloud; default $LOCAL_CLOUD_URL, else http://127.0.0.1:<port> with the port
                   from $SNAPRELAY_CLOUD_PORT or $LOCAL_CLOUD_PORT, else 8084`;

const OPTIONS = {
  endpoint: { type: "string" },
  account: { type: "string" },
  role: { type: "string" },
  "external-id": { type: "string" },
  region: { type: "string" },
  volume: { type: "string" },
  snapshot: { type: "string" },
  size: { type: "string" },
  block: { type: "string" },
  count: { type: "string" },
  seed: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

type Option = Exclude<keyof typeof OPTIONS, "help">;

const UNITS: Record<string, number> = { "": 1, B: 1, KIB: 1024, MIB: 1024 ** 2, GIB: 1024 ** 3 };

/** What the command line asked for, checked. */
class CommandLine {
  readonly command: string | undefined;
  readonly help: boolean;
  private readonly values: Partial<Record<Option, string>>;
  private readonly positionals: string[];

  constructor(args: string[]) {
    try {
      const { positionals, values } = parseArgs({ args, options: OPTIONS, allowPositionals: true });
      const { help, ...strings } = values;
      this.command = positionals[0];
      this.positionals = positionals;
      this.help = help === true || this.command === "help";
      this.values = strings;
    } catch (error) {
      throw new UsageError(messageOf(error));
    }
  }

  optional(name: Option): string | undefined {
    return this.values[name];
  }

  /** The command line's `index`th word after the options are taken out (0 is the command). */
  positional(index: number): string | undefined {
    return this.positionals[index];
  }

  required(name: Option): string {
    const value = this.values[name];
    if (!value) throw new UsageError(`--${name} is required.`);
    return value;
  }

  /** A path segment, escaped. */
  segment(name: Option): string {
    return encodeURIComponent(this.required(name));
  }

  wholeNumber(name: Option, fallback?: number): number {
    const given = this.values[name];
    if (given === undefined && fallback !== undefined) return fallback;
    const text = this.required(name);
    const value = Number(text);
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(value)) {
      throw new UsageError(`--${name} must be a whole number, not '${text}'.`);
    }
    return value;
  }

  bytes(name: Option): number {
    const text = this.required(name);
    const match = /^(\d+)\s*([a-z]*)$/i.exec(text.trim());
    const unit = UNITS[(match?.[2] ?? "").toUpperCase()];
    if (!match?.[1] || unit === undefined) {
      throw new UsageError(
        `--${name} must be bytes, optionally with KiB, MiB or GiB, not '${text}'.`,
      );
    }
    return Number(match[1]) * unit;
  }

  endpoint(): string {
    const port = process.env.SNAPRELAY_CLOUD_PORT || process.env.LOCAL_CLOUD_PORT || "8084";
    const url = this.values.endpoint ?? process.env.LOCAL_CLOUD_URL ?? `http://127.0.0.1:${port}`;
    return url.replace(/\/+$/, "");
  }
}

/** The request a command makes: method, path under /_admin/ (and the account) and JSON body. */
function requestFor(line: CommandLine): [method: string, path: string, body?: unknown] {
  const [method, path, body] = routeFor(line);
  const account =
    (line.command === "env" ? line.positional(1) : undefined) ?? line.optional("account");
  return [method, account ? `${path}?account=${encodeURIComponent(account)}` : path, body];
}

function routeFor(line: CommandLine): [method: string, path: string, body?: unknown] {
  switch (line.command) {
    case "stats":
      return ["GET", "stats"];
    case "create-volume":
      return [
        "POST",
        `regions/${line.segment("region")}/volumes`,
        { sizeBytes: line.bytes("size") },
      ];
    case "write-volume":
      return [
        "POST",
        `regions/${line.segment("region")}/volumes/${line.segment("volume")}/fill`,
        {
          firstBlock: line.wholeNumber("block"),
          count: line.wholeNumber("count", 1),
          seed: line.optional("seed"),
        },
      ];
    case "manifest": {
      const region = line.segment("region");
      if (line.optional("snapshot") && line.optional("volume")) {
        throw new UsageError("Give --snapshot or --volume, not both.");
      }
      if (line.optional("volume")) {
        return ["GET", `regions/${region}/volumes/${line.segment("volume")}/manifest`];
      }
      return ["GET", `regions/${region}/snapshots/${line.segment("snapshot")}/manifest`];
    }
    case "copy-report":
      return [
        "GET",
        `regions/${line.segment("region")}/snapshots/${line.segment("snapshot")}/copy-report`,
      ];
    case "create-role":
      return [
        "POST",
        "roles",
        {
          accountId: line.required("account"),
          roleName: line.required("role"),
          externalId: line.optional("external-id"),
        },
      ];
    case "roles":
      return ["GET", "roles"];
    case "credentials":
    case "env":
      return ["GET", "credentials"];
    default:
      throw new UsageError(line.command ? `Unknown command '${line.command}'.` : "Name a command.");
  }
}

async function main(): Promise<number> {
  const line = new CommandLine(process.argv.slice(2));
  if (line.help) {
    log.info(USAGE);
    return 0;
  }
  const [method, path, body] = requestFor(line);
  let response: Response;
  try {
    response = await fetch(`${line.endpoint()}/_admin/${path}`, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    const reason = messageOf(error);
    log.error(
      `No local cloud answers at ${line.endpoint()} (${reason}); start it (npm start) or pass --endpoint.`,
    );
    return 1;
  }
  const text = await response.text();
  if (!response.ok) {
    log.error(`${response.status}: ${text.trim()}`);
    return 1;
  }
  process.stdout.write(line.command === "env" ? shellLines(text, line.endpoint()) : text);
  return 0;
}

/**
 * The keys as shell lines for eval: the AWS CLI and SDKs then sign with them and send EC2, STS and
 * SSM calls to the cloud. A session token or profile left in the shell would be sent along or win.
 */
function shellLines(credentialsJson: string, endpoint: string): string {
  const { accessKeyId, secretAccessKey } = JSON.parse(credentialsJson) as Record<string, string>;
  const quoted = (value = "") => `'${value.replaceAll("'", "'\\''")}'`;
  const variables = {
    AWS_ACCESS_KEY_ID: accessKeyId,
    AWS_SECRET_ACCESS_KEY: secretAccessKey,
    AWS_ENDPOINT_URL_EC2: endpoint,
    AWS_ENDPOINT_URL_STS: endpoint,
    AWS_ENDPOINT_URL_SSM: endpoint,
  };
  const exports = Object.entries(variables).map(([name, value]) => `${name}=${quoted(value)}`);
  return `unset AWS_SESSION_TOKEN AWS_PROFILE\nexport ${exports.join(" ")}\n`;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UsageError) {
      log.error(`${error.message}\n\n${USAGE}`);
      process.exitCode = 2;
      return;
    }
    log.error(error);
    process.exitCode = 1;
  },
);
