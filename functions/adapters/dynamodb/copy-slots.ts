// The CopySlots port on DynamoDB, in the jobs table. A pool is one item (the semaphore pattern:
// a counter and one attribute per holder, every change conditional on both), so taking or giving
// back a slot is one write whatever the queue's length. Each waiting copy is an item of its own,
// found oldest first through the byQueue index; a grant moves a copy from the queue into a slot
// in one transaction.
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import {
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { DomainError } from "../../core/errors.js";
import { nextHoldSeconds, secondsBetween } from "../../core/hold-time.js";
import type {
  CopySlots,
  GrantOutcome,
  PoolLimit,
  QueuedCopy,
  SlotPool,
  SlotPoolView,
} from "../../core/ports.js";
import { isPassingConflict } from "../passing-trouble.js";
import { ExpressionBuilder } from "./expression-builder.js";
import {
  POOL_INDEX,
  POOLS_PARTITION,
  poolKey,
  QUEUE_INDEX,
  queuedKey,
  queuePartition,
} from "./jobs-table.js";
import { queryAll, readItem } from "./reads.js";
import { refusedAt } from "./transaction-refusal.js";

/** One item of a transaction: here, a queue entry's Put or Delete. */
type QueueEntryWrite = NonNullable<TransactWriteCommandInput["TransactItems"]>[number];

const HOLDER_PREFIX = "holder:";
/** The token a holder given its slot from the queue was woken with. */
const WAKE_PREFIX = "wake:";
/** When a holder first joined the queue (or took its slot, if it never waited): its place if it goes back. */
const ARRIVED_PREFIX = "arrived:";
/** The pool's own limit (PoolLimit), a map; every grant keeps within its `places`. */
const LIMIT = "slotLimit";
// A write that met another writer (a conflict, a lagging stamp) or a throttle is tried again,
// a little later each time; past this many tries the step fails as SlotsBusy and is retried.
const ATTEMPTS = 8;

const slotsBusy = (pool: SlotPool) =>
  new DomainError(
    "SlotsBusy",
    `The copy slots of account ${pool.accountId} in ${pool.region} are too busy to change now; the step will try again.`,
  );

const pause = (attempt: number) =>
  new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * 2 ** attempt));
const holderAttribute = (jobId: string) => `${HOLDER_PREFIX}${jobId}`;
const wakeAttribute = (jobId: string) => `${WAKE_PREFIX}${jobId}`;
const arrivedAttribute = (jobId: string) => `${ARRIVED_PREFIX}${jobId}`;

/** The pool's own limit as its item holds it; undefined if none (or not one this build wrote). */
const toLimit = (value: unknown): PoolLimit | undefined => {
  if (!value || typeof value !== "object") return undefined;
  const item = value as Record<string, unknown>;
  if (typeof item.places !== "number") return undefined;
  return {
    places: item.places,
    reason: item.reason === "refused" ? "refused" : "foreign",
    ...(typeof item.foreignPending === "number" ? { foreignPending: item.foreignPending } : {}),
    changedAt: String(item.changedAt ?? ""),
    checkedAt: String(item.checkedAt ?? ""),
  };
};
/** Sorts the queue by arrival; the job id keeps two arrivals in the same millisecond apart. */
const queueSortKey = (queuedAt: string, jobId: string) => `${queuedAt}#${jobId}`;

const isConditionFailure = (error: unknown) => error instanceof ConditionalCheckFailedException;

const toQueued = (item: Record<string, unknown>): QueuedCopy => ({
  jobId: String(item.jobId),
  queuedAt: String(item.queuedAt).split("#")[0] ?? "",
  wakeToken: typeof item.wakeToken === "string" ? item.wakeToken : null,
});

export class DynamoCopySlots implements CopySlots {
  /** Pools whose item holds its count of waiting copies (`queued`), as seen by this instance. */
  private readonly counted = new Set<string>();

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** Sends a command, again after a passing conflict or throttle (see ATTEMPTS). */
  private async send<T>(pool: SlotPool, command: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await command();
      } catch (error) {
        if (!isPassingConflict(error)) throw error;
        if (attempt + 1 >= ATTEMPTS) throw slotsBusy(pool);
        await pause(attempt);
      }
    }
  }

  /**
   * Makes `jobId` a holder, retrying with a later stamp while only the stamp was behind; a copy
   * given its slot from the queue (`waiting`) leaves the queue in the same transaction. Answers
   * how it went.
   */
  private async stamped(
    pool: SlotPool,
    jobId: string,
    limit: number,
    now: string,
    waiting?: QueuedCopy,
  ): Promise<{ held: "now"; stamp: string } | { held: "already" } | { held: "no" }> {
    let stamp = now;
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      try {
        await this.send(pool, () => this.hold(pool, jobId, limit, stamp, waiting));
        return { held: "now", stamp };
      } catch (error) {
        // In the transaction the holding update is the first item.
        const refusedBySlot = waiting ? refusedAt(error, 0) : isConditionFailure(error);
        if (!refusedBySlot) throw error;
        const refused = await this.refusal(pool, jobId, limit, stamp);
        if (refused.because === "held") return { held: "already" };
        if (refused.because === "full") return { held: "no" };
        stamp = refused.next;
      }
    }
    throw slotsBusy(pool);
  }

  /** Writes the holding update: alone, or with taking `waiting` out of the queue. */
  private async hold(
    pool: SlotPool,
    jobId: string,
    limit: number,
    stamp: string,
    waiting?: QueuedCopy,
  ): Promise<void> {
    if (!waiting) {
      await this.client.send(new UpdateCommand(this.holding(pool, jobId, limit, stamp, stamp)));
      return;
    }
    await this.client.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: this.holding(pool, jobId, limit, stamp, waiting.queuedAt, waiting.wakeToken, {
              base: await this.countBase(pool),
            }),
          },
          {
            Delete: {
              TableName: this.tableName,
              Key: queuedKey(pool, jobId),
              // The token `waiting` was read with is the one woken: one recorded since means read again.
              ConditionExpression: waiting.wakeToken
                ? "wakeToken = :token"
                : "attribute_exists(pk) AND attribute_not_exists(wakeToken)",
              ...(waiting.wakeToken
                ? { ExpressionAttributeValues: { ":token": waiting.wakeToken } }
                : {}),
            },
          },
        ],
      }),
    );
  }

  /**
   * The update that makes `jobId` a holder: only while a slot is free and it holds none. Each slot
   * given is stamped no earlier than every one given before it in the pool (`lastGrantAt`), so the
   * stamps order the grants as they happened, whichever writer's clock ran ahead.
   */
  private holding(
    pool: SlotPool,
    jobId: string,
    limit: number,
    stamp: string,
    /** When the copy joined the queue (its stamp, if it never waited). */
    arrivedAt: string,
    wakeToken: string | null = null,
    /** The copy leaves the queue: with where the pool's count of it starts (countBase). */
    fromQueue?: { base: number },
  ) {
    const update = new ExpressionBuilder();
    const holder = update.name(holderAttribute(jobId));
    const arrived = `, ${update.name(arrivedAttribute(jobId))} = ${update.value(arrivedAt)}`;
    const wake = wakeToken
      ? `, ${update.name(wakeAttribute(jobId))} = ${update.value(wakeToken)}`
      : "";
    // A copy given its slot from the queue leaves it: the pool's count of waiting copies with it.
    const queued = fromQueue !== undefined ? update.name("queued") : "";
    const leaving =
      fromQueue !== undefined
        ? `, ${queued} = if_not_exists(${queued}, ${update.value(fromQueue.base)}) - ${update.value(1)}`
        : "";
    const inUse = update.name("inUse");
    const last = update.name("lastGrantAt");
    const at = update.value(stamp);
    update.condition(`attribute_not_exists(${holder})`);
    update.condition(`(attribute_not_exists(${inUse}) OR ${inUse} < ${update.value(limit)})`);
    // The pool's own limit, while the cloud leaves it fewer places than its slots.
    const places = `${update.name(LIMIT)}.${update.name("places")}`;
    update.condition(
      `(attribute_not_exists(${update.name(LIMIT)}) OR (attribute_not_exists(${inUse}) AND ${places} > ${update.value(0)}) OR ${inUse} < ${places})`,
    );
    update.condition(`(attribute_not_exists(${last}) OR ${last} <= ${at})`);
    const built = update.build();
    return {
      TableName: this.tableName,
      Key: poolKey(pool),
      UpdateExpression: `SET ${inUse} = if_not_exists(${inUse}, ${update.value(0)}) + ${update.value(1)}, ${holder} = ${at}, ${last} = ${at}, ${update.name("poolpk")} = ${update.value(POOLS_PARTITION)}, ${update.name("pool")} = ${update.value(`${pool.accountId}#${pool.region}`)}${arrived}${wake}${leaving}`,
      ConditionExpression: built.ConditionExpression,
      ...update.attributes(),
    };
  }

  /** The pool's item as it stands (a strong read), or only the attributes named; {} before any. */
  private async poolItem(
    pool: SlotPool,
    attributes: readonly string[] = [],
  ): Promise<Record<string, unknown>> {
    const projection = new ExpressionBuilder();
    const { Item = {} } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: poolKey(pool),
        ConsistentRead: true,
        ...(attributes.length > 0
          ? {
              ProjectionExpression: attributes.map((name) => projection.name(name)).join(", "),
              ...projection.attributes(),
            }
          : {}),
      }),
    );
    return Item;
  }

  /**
   * Why a holding write was refused, from the pool as it is now: the copy holds a slot already,
   * no slot is free, or only the stamp was behind (then the stamp to try again with).
   */
  private async refusal(
    pool: SlotPool,
    jobId: string,
    limit: number,
    stamp: string,
  ): Promise<{ because: "held" } | { because: "full" } | { because: "stamp"; next: string }> {
    const item = await this.poolItem(pool);
    if (item[holderAttribute(jobId)] !== undefined) return { because: "held" };
    const own = toLimit(item[LIMIT]);
    const places = own ? Math.min(limit, own.places) : limit;
    if (Number(item.inUse ?? 0) >= places) return { because: "full" };
    const last = String(item.lastGrantAt ?? stamp);
    return { because: "stamp", next: last > stamp ? last : stamp };
  }

  async take(pool: SlotPool, jobId: string, limit: number, now: string): Promise<boolean> {
    const outcome = await this.stamped(pool, jobId, limit, now);
    // Held already: a retried step.
    return outcome.held !== "no";
  }

  async heldSince(pool: SlotPool, jobId: string): Promise<string | undefined> {
    const holder = holderAttribute(jobId);
    const since = (await this.poolItem(pool, [holder]))[holder];
    return since === undefined ? undefined : String(since);
  }

  async release(pool: SlotPool, jobId: string, endedAt?: string): Promise<boolean> {
    try {
      // A copy that ran to its end: how long it held the slot moves the pool's typical hold.
      let hold: number | undefined;
      if (endedAt !== undefined) {
        const item = await this.poolItem(pool, [holderAttribute(jobId), "holdSeconds"]);
        const since = item[holderAttribute(jobId)];
        if (typeof since !== "string") return false;
        const typical = typeof item.holdSeconds === "number" ? item.holdSeconds : undefined;
        hold = nextHoldSeconds(typical, secondsBetween(since, endedAt));
      }
      await this.send(pool, () =>
        this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: poolKey(pool),
            UpdateExpression: `SET inUse = inUse - :one${hold === undefined ? "" : ", holdSeconds = :hold"} REMOVE #holder, #wake, #arrived`,
            // Only a holder gives a slot back: a second release changes nothing.
            ConditionExpression: "attribute_exists(#holder)",
            ExpressionAttributeNames: {
              "#holder": holderAttribute(jobId),
              "#wake": wakeAttribute(jobId),
              "#arrived": arrivedAttribute(jobId),
            },
            ExpressionAttributeValues: {
              ":one": 1,
              ...(hold === undefined ? {} : { ":hold": hold }),
            },
          }),
        ),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /**
   * The pool's count of waiting copies moved by `by`, in the same transaction as the queue entry
   * it counts: the sweeper and the API read one item, never the whole queue.
   */
  private counting(pool: SlotPool, by: 1 | -1, base: number) {
    return {
      TableName: this.tableName,
      Key: poolKey(pool),
      UpdateExpression:
        "SET queued = if_not_exists(queued, :base) + :by, poolpk = :pools, #pool = :pool",
      ExpressionAttributeNames: { "#pool": "pool" },
      ExpressionAttributeValues: {
        ":base": base,
        ":by": by,
        ":pools": POOLS_PARTITION,
        ":pool": `${pool.accountId}#${pool.region}`,
      },
    };
  }

  /**
   * Where the pool's count of waiting copies starts from: 0, or for a pool whose queue was kept
   * before it was counted, its copies waiting now, counted once (the first write to count them
   * sets it; any later one finds it set and only moves it).
   */
  private async countBase(pool: SlotPool): Promise<number> {
    // Once a pool's count exists it is never removed: a pool seen counted needs no read again.
    const key = `${pool.accountId}#${pool.region}`;
    if (this.counted.has(key)) return 0;
    const { queued } = await this.poolItem(pool, ["queued"]);
    if (typeof queued !== "number") return this.count(pool);
    this.counted.add(key);
    return 0;
  }

  /**
   * Writes a queue entry (`Put`) or takes one out (`Delete`) in one transaction with the pool's
   * count of waiting copies; a write the entry's own condition refuses answers false.
   */
  private async moveQueue(pool: SlotPool, entry: QueueEntryWrite, by: 1 | -1): Promise<boolean> {
    const base = await this.countBase(pool);
    try {
      await this.send(pool, () =>
        this.client.send(
          new TransactWriteCommand({
            TransactItems: [entry as never, { Update: this.counting(pool, by, base) }],
          }),
        ),
      );
      return true;
    } catch (error) {
      if (refusedAt(error, 0)) return false;
      throw error;
    }
  }

  async enqueue(pool: SlotPool, jobId: string, now: string): Promise<QueuedCopy> {
    const joined = await this.moveQueue(
      pool,
      {
        Put: {
          TableName: this.tableName,
          Item: {
            ...queuedKey(pool, jobId),
            queuepk: queuePartition(pool),
            queuedAt: queueSortKey(now, jobId),
            jobId,
          },
          // A copy waits once: asking again keeps its place.
          ConditionExpression: "attribute_not_exists(pk)",
        },
      },
      1,
    );
    if (joined) return { jobId, queuedAt: now, wakeToken: null };
    const waiting = await this.queued(pool, jobId);
    if (!waiting) return this.enqueue(pool, jobId, now);
    return waiting;
  }

  async queued(pool: SlotPool, jobId: string): Promise<QueuedCopy | undefined> {
    const Item = await readItem(this.client, this.tableName, queuedKey(pool, jobId));
    return Item ? toQueued(Item) : undefined;
  }

  async setWakeToken(pool: SlotPool, jobId: string, token: string): Promise<boolean> {
    try {
      await this.send(pool, () =>
        this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: queuedKey(pool, jobId),
            UpdateExpression: "SET wakeToken = :token",
            ConditionExpression: "attribute_exists(pk)",
            ExpressionAttributeValues: { ":token": token },
          }),
        ),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async head(pool: SlotPool, count: number): Promise<QueuedCopy[]> {
    const { Items = [] } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: QUEUE_INDEX,
        KeyConditionExpression: "queuepk = :queue",
        ExpressionAttributeValues: { ":queue": queuePartition(pool) },
        ScanIndexForward: true,
        Limit: count,
      }),
    );
    return Items.map(toQueued);
  }

  async grant(
    pool: SlotPool,
    jobId: string,
    limit: number,
    now: string,
    seen?: QueuedCopy,
  ): Promise<GrantOutcome> {
    // An entry seen in the queue's index is taken as it was: the transaction's condition on its
    // token refuses it (stale) if it changed or went since, and the caller reads it again.
    const waiting = seen ?? (await this.queued(pool, jobId));
    if (!waiting) return { granted: false, because: "gone" };
    try {
      const outcome = await this.stamped(pool, jobId, limit, now, waiting);
      if (outcome.held === "now") {
        return { granted: true, wakeToken: waiting.wakeToken, grantedAt: outcome.stamp };
      }
      if (outcome.held === "no") return { granted: false, because: "full" };
      // It holds a slot already, so its place in the queue is a leftover.
      await this.leave(pool, jobId);
      return { granted: false, because: "gone" };
    } catch (error) {
      // Its token changed since it was read (its wait began again): read it afresh.
      if (refusedAt(error, 1)) return { granted: false, because: "stale" };
      throw error;
    }
  }

  async leave(pool: SlotPool, jobId: string): Promise<void> {
    // Most calls find the copy not waiting (every copy that ends gives its place back, in case):
    // one small read says so, and nothing is written.
    if (!(await readItem(this.client, this.tableName, queuedKey(pool, jobId)))) return;
    // Refused: gone meanwhile (granted its slot, or another leave), so already not counted.
    await this.moveQueue(
      pool,
      {
        Delete: {
          TableName: this.tableName,
          Key: queuedKey(pool, jobId),
          ConditionExpression: "attribute_exists(pk)",
        },
      },
      -1,
    );
  }

  /** Counts the queue up to `before` (exclusive), a page of keys at a time, stopping at `upTo`. */
  private async count(pool: SlotPool, before?: string, upTo = Number.POSITIVE_INFINITY) {
    let total = 0;
    let startKey: Record<string, unknown> | undefined;
    do {
      const result = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: QUEUE_INDEX,
          KeyConditionExpression: before
            ? "queuepk = :queue AND queuedAt < :before"
            : "queuepk = :queue",
          ExpressionAttributeValues: {
            ":queue": queuePartition(pool),
            ...(before ? { ":before": before } : {}),
          },
          Select: "COUNT",
          ExclusiveStartKey: startKey,
          ...(Number.isFinite(upTo) ? { Limit: Math.max(1, upTo - total) } : {}),
        }),
      );
      total += result.Count ?? 0;
      startKey = result.LastEvaluatedKey;
    } while (startKey && total < upTo);
    return Math.min(total, upTo);
  }

  position(pool: SlotPool, queued: QueuedCopy, upTo?: number): Promise<number> {
    return this.count(pool, queueSortKey(queued.queuedAt, queued.jobId), upTo);
  }

  async holdSeconds(pool: SlotPool): Promise<number | undefined> {
    const { holdSeconds } = await this.poolItem(pool, ["holdSeconds"]);
    return typeof holdSeconds === "number" ? holdSeconds : undefined;
  }

  async inUse(pool: SlotPool): Promise<number> {
    return Number((await this.poolItem(pool, ["inUse"])).inUse ?? 0);
  }

  async view(pool: SlotPool): Promise<SlotPoolView> {
    const item = await this.poolItem(pool);
    const holders = Object.entries(item)
      .filter(([name]) => name.startsWith(HOLDER_PREFIX))
      .map(([name, since]) => {
        const jobId = name.slice(HOLDER_PREFIX.length);
        const wakeToken = item[wakeAttribute(jobId)];
        return {
          jobId,
          since: String(since),
          ...(typeof wakeToken === "string" ? { wakeToken } : {}),
        };
      })
      .sort((a, b) => a.since.localeCompare(b.since));
    // A pool whose queue was kept before it was counted is counted, until its next change.
    const queueLength =
      typeof item.queued === "number" ? Math.max(0, item.queued) : await this.count(pool);
    const limit = toLimit(item[LIMIT]);
    return { holders, queueLength, ...(limit ? { limit } : {}) };
  }

  async standing(pool: SlotPool): Promise<{ inUse: number; limit?: PoolLimit }> {
    const item = await this.poolItem(pool, ["inUse", LIMIT]);
    const limit = toLimit(item[LIMIT]);
    return { inUse: Number(item.inUse ?? 0), ...(limit ? { limit } : {}) };
  }

  async setLimit(
    pool: SlotPool,
    limit: PoolLimit,
    previous: PoolLimit | undefined,
  ): Promise<boolean> {
    const update = new ExpressionBuilder();
    const own = update.name(LIMIT);
    update.condition(
      previous
        ? `${own}.${update.name("checkedAt")} = ${update.value(previous.checkedAt)} AND ${own}.${update.name("places")} = ${update.value(previous.places)}`
        : `attribute_not_exists(${own})`,
    );
    const built = update.build();
    try {
      await this.send(pool, () =>
        this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: poolKey(pool),
            UpdateExpression: `SET ${own} = ${update.value({ ...limit })}, ${update.name("poolpk")} = ${update.value(POOLS_PARTITION)}, ${update.name("pool")} = ${update.value(`${pool.accountId}#${pool.region}`)}`,
            ConditionExpression: built.ConditionExpression,
            ...update.attributes(),
          }),
        ),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async requeue(pool: SlotPool, jobId: string): Promise<QueuedCopy | undefined> {
    const item = await this.poolItem(pool, [holderAttribute(jobId), arrivedAttribute(jobId)]);
    const since = item[holderAttribute(jobId)];
    // Holds no slot: gone back already (a retried step), or never held one.
    if (typeof since !== "string") return this.queued(pool, jobId);
    const arrivedAt = String(item[arrivedAttribute(jobId)] ?? since);
    const base = await this.countBase(pool);
    try {
      await this.send(pool, () =>
        this.client.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Update: {
                  TableName: this.tableName,
                  Key: poolKey(pool),
                  UpdateExpression:
                    "SET inUse = inUse - :one, queued = if_not_exists(queued, :base) + :one REMOVE #holder, #wake, #arrived",
                  ConditionExpression: "attribute_exists(#holder)",
                  ExpressionAttributeNames: {
                    "#holder": holderAttribute(jobId),
                    "#wake": wakeAttribute(jobId),
                    "#arrived": arrivedAttribute(jobId),
                  },
                  ExpressionAttributeValues: { ":one": 1, ":base": base },
                },
              },
              {
                Put: {
                  TableName: this.tableName,
                  Item: {
                    ...queuedKey(pool, jobId),
                    queuepk: queuePartition(pool),
                    queuedAt: queueSortKey(arrivedAt, jobId),
                    jobId,
                  },
                  ConditionExpression: "attribute_not_exists(pk)",
                },
              },
            ],
          }),
        ),
      );
    } catch (error) {
      // Gone back meanwhile (another attempt): its place is the one it has.
      if (refusedAt(error, 0)) return this.queued(pool, jobId);
      // Waiting already while it held a slot (a leftover): the slot alone is given back.
      if (refusedAt(error, 1)) await this.release(pool, jobId);
      else throw error;
    }
    return this.queued(pool, jobId);
  }

  async pools(): Promise<SlotPool[]> {
    const items = await queryAll(this.client, {
      TableName: this.tableName,
      IndexName: POOL_INDEX,
      KeyConditionExpression: "poolpk = :pools",
      ExpressionAttributeValues: { ":pools": POOLS_PARTITION },
    });
    return items.map((item) => {
      const [accountId = "", region = ""] = String(item.pool).split("#");
      return { accountId, region };
    });
  }
}
