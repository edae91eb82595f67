// A PolicyStore in memory with the DynamoDB store's rules (the PolicyStore contract runs against
// both): conditional claims, a target's first assignment starting its RPO clock, newer recovery
// points only, breach checks by time.

import { DomainError } from "../../functions/core/errors.js";
import type { DrPolicy } from "../../functions/core/policies/policy.js";
import type {
  Deletion,
  PolicyCopy,
  PolicyRun,
  RecoveryPoint,
  RunOutcome,
  RunVolume,
  VolumeTarget,
} from "../../functions/core/policies/records.js";
import type { PolicyPage, PolicyStore, RunVolumePage } from "../../functions/core/ports.js";

type TargetRef = Pick<VolumeTarget, "policyId" | "volumeId" | "destinationRegion">;
const targetId = (t: TargetRef) => `${t.policyId}#${t.volumeId}#${t.destinationRegion}`;
const copy = <T>(value: T): T => structuredClone(value);

export class InMemoryPolicyStore implements PolicyStore {
  readonly policies = new Map<string, DrPolicy>();
  readonly runs = new Map<string, PolicyRun>();
  /** Each run's volumes, by run and then volume id. */
  readonly runVolumesByRun = new Map<string, Map<string, RunVolume>>();
  readonly targetsById = new Map<string, VolumeTarget & { due: boolean }>();
  readonly deletions = new Map<string, Deletion>();
  readonly policyCopiesById = new Map<string, PolicyCopy>();
  /** Accounts that have had a policy: listed for the scheduler, as the DynamoDB store lists them. */
  private readonly accountsSeen = new Set<string>();

  async create(policy: DrPolicy) {
    this.accountsSeen.add(policy.accountId);
    if (this.policies.has(policy.policyId)) throw new Error("ConditionalCheckFailed");
    this.policies.set(policy.policyId, copy(policy));
  }

  async get(policyId: string) {
    const policy = this.policies.get(policyId);
    return policy ? copy(policy) : undefined;
  }

  async listByAccount(accountId: string, limit: number, nextToken?: string): Promise<PolicyPage> {
    const all = [...this.policies.values()]
      .filter((policy) => policy.accountId === accountId)
      .sort((a, b) => `${a.createdAt}#${a.policyId}`.localeCompare(`${b.createdAt}#${b.policyId}`));
    const start = nextToken ? Number(nextToken) : 0;
    const page = all.slice(start, start + limit);
    return {
      policies: page.map(copy),
      ...(start + limit < all.length ? { nextToken: String(start + limit) } : {}),
    };
  }

  async replace(policy: DrPolicy) {
    if (!this.policies.has(policy.policyId)) return false;
    this.policies.set(policy.policyId, copy(policy));
    return true;
  }

  async delete(policyId: string) {
    this.policies.delete(policyId);
    for (const [id, target] of this.targetsById) {
      if (target.policyId === policyId) this.targetsById.delete(id);
    }
  }

  async policyAccounts() {
    return [...this.accountsSeen].sort();
  }

  async due(accountId: string, now: string, limit: number) {
    return [...this.policies.values()]
      .filter(
        (policy) =>
          policy.accountId === accountId &&
          policy.enabled &&
          policy.nextRunAt !== null &&
          policy.nextRunAt <= now,
      )
      .sort((a, b) => (a.nextRunAt ?? "").localeCompare(b.nextRunAt ?? ""))
      .slice(0, limit)
      .map(copy);
  }

  async claimRun(policy: DrPolicy, run: PolicyRun, nextRunAt: string | null) {
    const stored = this.policies.get(policy.policyId);
    const runKey = `${run.policyId}#${run.runId}`;
    if (!stored?.enabled || stored.nextRunAt !== policy.nextRunAt) return false;
    if (stored.updatedAt !== policy.updatedAt) return false;
    this.policies.set(policy.policyId, { ...stored, nextRunAt, lastRunAt: run.scheduledFor });
    this.runs.set(runKey, copy(run));
    return true;
  }

  async addRun(run: PolicyRun) {
    const runKey = `${run.policyId}#${run.runId}`;
    if (this.runs.has(runKey)) return false;
    this.runs.set(runKey, copy(run));
    return true;
  }

  async getRun(policyId: string, runId: string) {
    const run = this.runs.get(`${policyId}#${runId}`);
    return run ? copy(run) : undefined;
  }

  async saveRun(run: PolicyRun) {
    this.runs.set(`${run.policyId}#${run.runId}`, copy(run));
  }

  async recordRunVolumes(policyId: string, runId: string, volumes: readonly RunVolume[]) {
    const key = `${policyId}#${runId}`;
    const recorded = this.runVolumesByRun.get(key) ?? new Map<string, RunVolume>();
    for (const volume of volumes) recorded.set(volume.volumeId, copy(volume));
    this.runVolumesByRun.set(key, recorded);
  }

  async runVolumes(
    policyId: string,
    runId: string,
    query: { limit: number; outcome?: RunOutcome; nextToken?: string },
  ): Promise<RunVolumePage> {
    const signature = `${policyId}#${runId}#${query.outcome ?? ""}#`;
    if (query.nextToken !== undefined && !query.nextToken.startsWith(signature)) {
      throw new DomainError("InvalidRequest", "nextToken: not a token this API returned.");
    }
    const all = [...(this.runVolumesByRun.get(`${policyId}#${runId}`)?.values() ?? [])]
      .filter((volume) => !query.outcome || volume.outcome === query.outcome)
      .sort((a, b) => `${a.outcome}#${a.volumeId}`.localeCompare(`${b.outcome}#${b.volumeId}`));
    const start = query.nextToken ? Number(query.nextToken.slice(signature.length)) : 0;
    return {
      volumes: all.slice(start, start + query.limit).map(copy),
      ...(start + query.limit < all.length
        ? { nextToken: `${signature}${start + query.limit}` }
        : {}),
    };
  }

  async claimResume(run: PolicyRun, resumeAt: string) {
    const held = this.runs.get(`${run.policyId}#${run.runId}`);
    if (held?.status !== "STARTING" || held.resumeAt !== run.resumeAt) return false;
    held.resumeAt = resumeAt;
    return true;
  }

  async runsToResume(now: string, limit: number) {
    return [...this.runs.values()]
      .filter((run) => run.status === "STARTING" && run.resumeAt !== null && run.resumeAt <= now)
      .sort((a, b) => (a.resumeAt ?? "").localeCompare(b.resumeAt ?? ""))
      .slice(0, limit)
      .map(copy);
  }

  async recentRuns(policyId: string, limit: number) {
    return [...this.runs.values()]
      .filter((run) => run.policyId === policyId)
      .sort((a, b) => `${b.startedAt}#${b.runId}`.localeCompare(`${a.startedAt}#${a.runId}`))
      .slice(0, limit)
      .map(copy);
  }

  private view({ due, ...target }: VolumeTarget & { due: boolean }): VolumeTarget {
    return copy(target);
  }

  async targets(policyId: string) {
    return [...this.targetsById.values()]
      .filter((target) => target.policyId === policyId)
      .sort((a, b) =>
        `${a.volumeId}#${a.destinationRegion}`.localeCompare(
          `${b.volumeId}#${b.destinationRegion}`,
        ),
      )
      .map((target) => this.view(target));
  }

  async assignJob(
    target: TargetRef,
    jobId: string,
    now: string,
    breachAt: string,
    seenJobId: string | null,
  ) {
    const held = this.targetsById.get(targetId(target));
    if (held) {
      if (held.activeJobId !== seenJobId && held.activeJobId !== jobId) return false;
      held.activeJobId = jobId;
      return true;
    }
    this.targetsById.set(targetId(target), {
      ...target,
      activeJobId: jobId,
      recoveryPoint: null,
      breachedSince: null,
      breachAt,
      createdAt: now,
      due: true,
    });
    return true;
  }

  async recordCopy(target: TargetRef, point: RecoveryPoint, breachAt: string, now: string) {
    const held = this.targetsById.get(targetId(target));
    const before = held ? this.view(held) : undefined;
    if (held?.recoveryPoint && held.recoveryPoint.sourceTime >= point.sourceTime) return before;
    const recovers = breachAt > now;
    this.targetsById.set(targetId(target), {
      ...target,
      activeJobId: held?.activeJobId ?? point.jobId,
      createdAt: held?.createdAt ?? now,
      recoveryPoint: copy(point),
      breachAt,
      breachedSince: recovers ? null : (held?.breachedSince ?? null),
      due: recovers ? true : (held?.due ?? true),
    });
    return before;
  }

  async dueBreaches(now: string, limit: number) {
    return [...this.targetsById.values()]
      .filter((target) => target.due && target.breachAt !== null && target.breachAt <= now)
      .sort((a, b) => (a.breachAt ?? "").localeCompare(b.breachAt ?? ""))
      .slice(0, limit)
      .map((target) => this.view(target));
  }

  async markBreached(target: VolumeTarget, now: string) {
    const held = this.targetsById.get(targetId(target));
    if (!held || held.breachAt !== target.breachAt || held.breachedSince !== null) return false;
    held.breachedSince = now;
    held.due = false;
    return true;
  }

  async rescheduleBreach(target: VolumeTarget, breachAt: string) {
    const held = this.targetsById.get(targetId(target));
    if (held && held.breachAt === target.breachAt) held.breachAt = breachAt;
  }

  async retireBreachCheck(target: VolumeTarget) {
    const held = this.targetsById.get(targetId(target));
    if (held) held.due = false;
  }

  async recordPolicyCopy(made: PolicyCopy) {
    this.policyCopiesById.set(`${targetId(made)}#${made.snapshotId}`, copy(made));
  }

  async policyCopies(target: TargetRef) {
    return [...this.policyCopiesById.values()]
      .filter((made) => targetId(made) === targetId(target))
      .sort((a, b) =>
        `${a.sourceTime}#${a.snapshotId}`.localeCompare(`${b.sourceTime}#${b.snapshotId}`),
      )
      .map(copy);
  }

  async forgetPolicyCopy(made: TargetRef & { snapshotId: string }) {
    this.policyCopiesById.delete(`${targetId(made)}#${made.snapshotId}`);
  }

  async saveDeletion(deletion: Deletion) {
    this.deletions.set(
      `${deletion.policyId}#${deletion.destinationRegion}#${deletion.snapshotId}`,
      copy(deletion),
    );
  }

  async recentDeletions(policyId: string, limit: number) {
    return [...this.deletions.values()]
      .filter((deletion) => deletion.policyId === policyId)
      .sort((a, b) => `${b.at}#${b.snapshotId}`.localeCompare(`${a.at}#${a.snapshotId}`))
      .slice(0, limit)
      .map(copy);
  }
}
