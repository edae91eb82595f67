// What a local cloud can be started with, and how options, environment variables and defaults
// combine: an explicit option wins over the environment, which wins over the default.
import { GIB } from "./model.js";
import { ACCOUNT_ID } from "./wire/signing-identity.js";

export interface LocalCloudOptions {
  /** 0 picks a free port. */
  port: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Where state lives; created if missing. */
  dataDir: string;
  /**
   * The default account: the admin tool's when it names none (a request acts in the account whose
   * keys signed it). 12 digits; default "000000000000".
   */
  accountId?: string;
  /**
   * Bandwidth of each copy (copies do not share it): the rate at which a copy sends the blocks the
   * destination region lacks. Default LOCAL_CLOUD_COPY_BYTES_PER_SECOND, else 8 GiB in about 5 s.
   */
  copyBytesPerSecond?: number;
  /** Default 20, as EBS allows per destination region. */
  maxPendingCopiesPerRegion?: number;
  /**
   * The local stack's compressed clock: copies run this many times faster than their bandwidth
   * says, so a copy of a day (by the clock) takes a day ÷ clockSpeed. Default 1.
   */
  clockSpeed?: number;
  /** 0..1 share of calls answered RequestLimitExceeded; default LOCAL_CLOUD_THROTTLE_RATE, else 0. */
  throttleRate?: number;
  /** 0..1 share of copies that end in state error; default LOCAL_CLOUD_COPY_FAILURE_RATE, else 0. */
  copyFailureRate?: number;
  /** 0..1 share of copy events not sent; default LOCAL_CLOUD_EVENT_DROP_RATE, else 0. */
  eventDropRate?: number;
  /**
   * The EventBridge endpoint copy events are put on; default AWS_ENDPOINT_URL_EVENTBRIDGE. Without
   * one, no events are sent.
   */
  eventsEndpoint?: string;
  /**
   * Size of the blocks volumes and snapshots are stored in: a power of two from 4 KiB to 64 MiB.
   * Default LOCAL_CLOUD_BLOCK_SIZE_BYTES, else 512 KiB (EBS's own block size). A data dir keeps
   * the size it was made with; starting it with another is refused.
   */
  blockSizeBytes?: number;
}

/** The settings a test may change while the cloud runs (see LocalCloud.setKnobs). */
export interface LocalCloudKnobs {
  copyBytesPerSecond: number;
  throttleRate: number;
  copyFailureRate: number;
  eventDropRate: number;
}

export interface LocalCloudSettings {
  port: number;
  host: string;
  dataDir: string;
  accountId: string;
  maxPendingCopiesPerRegion: number;
  blockSizeBytes: number;
  knobs: LocalCloudKnobs;
  clockSpeed: number;
  eventsEndpoint: string | undefined;
}

// An 8 GiB demo volume copies in about 5 s: slow enough to watch `pending`, fast enough for a demo.
const DEFAULT_KNOBS: LocalCloudKnobs = {
  copyBytesPerSecond: Math.round((8 * GIB) / 5),
  throttleRate: 0,
  copyFailureRate: 0,
  eventDropRate: 0,
};

const DEFAULT_BLOCK_SIZE_BYTES = 512 * 1024;
const MIN_BLOCK_SIZE_BYTES = 4 * 1024;
const MAX_BLOCK_SIZE_BYTES = 64 * 1024 * 1024;
const BLOCK_SIZE_VARIABLE = "LOCAL_CLOUD_BLOCK_SIZE_BYTES";

const KNOB_VARIABLES: Record<keyof LocalCloudKnobs, string> = {
  copyBytesPerSecond: "LOCAL_CLOUD_COPY_BYTES_PER_SECOND",
  throttleRate: "LOCAL_CLOUD_THROTTLE_RATE",
  copyFailureRate: "LOCAL_CLOUD_COPY_FAILURE_RATE",
  eventDropRate: "LOCAL_CLOUD_EVENT_DROP_RATE",
};

export function resolveSettings(
  options: LocalCloudOptions,
  env: NodeJS.ProcessEnv = process.env,
): LocalCloudSettings {
  const knob = (name: keyof LocalCloudKnobs) =>
    options[name] ?? numberFromEnv(env, KNOB_VARIABLES[name]) ?? DEFAULT_KNOBS[name];
  const knobs: LocalCloudKnobs = {
    copyBytesPerSecond: knob("copyBytesPerSecond"),
    throttleRate: knob("throttleRate"),
    copyFailureRate: knob("copyFailureRate"),
    eventDropRate: knob("eventDropRate"),
  };
  checkKnobs(knobs);
  const maxPendingCopiesPerRegion = options.maxPendingCopiesPerRegion ?? 20;
  if (!Number.isInteger(maxPendingCopiesPerRegion) || maxPendingCopiesPerRegion < 1) {
    throw new RangeError(
      `maxPendingCopiesPerRegion must be a whole number of at least 1, not ${maxPendingCopiesPerRegion}.`,
    );
  }
  const clockSpeed = options.clockSpeed ?? 1;
  if (!(clockSpeed >= 1)) throw new RangeError(`clockSpeed must be 1 or more, not ${clockSpeed}.`);
  const accountId = options.accountId ?? "000000000000";
  if (!ACCOUNT_ID.test(accountId)) {
    throw new RangeError(`accountId must be a 12-digit account id, not '${accountId}'.`);
  }
  const blockSizeBytes =
    options.blockSizeBytes ?? numberFromEnv(env, BLOCK_SIZE_VARIABLE) ?? DEFAULT_BLOCK_SIZE_BYTES;
  checkBlockSize(blockSizeBytes);
  return {
    port: options.port,
    host: options.host ?? "127.0.0.1",
    dataDir: options.dataDir,
    accountId,
    maxPendingCopiesPerRegion,
    blockSizeBytes,
    knobs,
    clockSpeed,
    eventsEndpoint:
      options.eventsEndpoint ?? (env.AWS_ENDPOINT_URL_EVENTBRIDGE?.trim() || undefined),
  };
}

// A power of two divides a GiB, so an EC2 volume of any whole size is a whole number of blocks.
function checkBlockSize(size: number): void {
  const powerOfTwo = Number.isInteger(size) && size > 0 && (size & (size - 1)) === 0;
  if (!powerOfTwo || size < MIN_BLOCK_SIZE_BYTES || size > MAX_BLOCK_SIZE_BYTES) {
    throw new RangeError(
      `blockSizeBytes (${BLOCK_SIZE_VARIABLE}) must be a power of two from ${MIN_BLOCK_SIZE_BYTES} to ${MAX_BLOCK_SIZE_BYTES}, not ${size}.`,
    );
  }
}

export function checkKnobs(knobs: Partial<LocalCloudKnobs>): void {
  const { copyBytesPerSecond, throttleRate, copyFailureRate, eventDropRate } = knobs;
  if (copyBytesPerSecond !== undefined && !(copyBytesPerSecond > 0)) {
    throw new RangeError(
      `copyBytesPerSecond (${KNOB_VARIABLES.copyBytesPerSecond}) must be above 0, not ${copyBytesPerSecond}.`,
    );
  }
  for (const [name, rate] of [
    ["throttleRate", throttleRate],
    ["copyFailureRate", copyFailureRate],
    ["eventDropRate", eventDropRate],
  ] as const) {
    if (rate !== undefined && !(rate >= 0 && rate <= 1)) {
      throw new RangeError(
        `${name} (${KNOB_VARIABLES[name]}) must be a share from 0 to 1, not ${rate}.`,
      );
    }
  }
}

function numberFromEnv(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const text = env[name]?.trim();
  if (!text) return undefined;
  const value = Number(text);
  if (!Number.isFinite(value)) throw new RangeError(`${name} must be a number, not '${text}'.`);
  return value;
}
