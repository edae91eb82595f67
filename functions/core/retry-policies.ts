// The state machine's retry policies, each defined once. The ASL source names them
// (`"Retry": ["LambdaTransient", "CloudThrottled"]`) and the build expands each name into the
// retrier below; the codes a policy retries come from the error table (errors.ts).
import { codesRetried } from "./errors.js";

/** One retrier of an ASL Task state, as Step Functions reads it. */
export interface Retrier {
  ErrorEquals: string[];
  IntervalSeconds: number;
  MaxAttempts: number;
  BackoffRate: number;
  MaxDelaySeconds?: number;
  JitterStrategy: "FULL" | "NONE";
}

/** What Lambda raises when an invocation fails on its own side, before the handler answers. */
export const LAMBDA_SERVICE_ERRORS = [
  "Lambda.ServiceException",
  "Lambda.AWSLambdaException",
  "Lambda.SdkClientException",
  "Lambda.TooManyRequestsException",
];

/** Two seconds doubling to five minutes, fifteen tries (about an hour), with full jitter. */
const transientBackoff = {
  IntervalSeconds: 2,
  MaxAttempts: 15,
  BackoffRate: 2,
  MaxDelaySeconds: 300,
  JitterStrategy: "FULL",
} as const;

export const RETRY_POLICIES = {
  /** Every Lambda task: Lambda's own hiccups, a timed-out run, a service busy for a moment. */
  LambdaTransient: {
    ErrorEquals: [
      ...LAMBDA_SERVICE_ERRORS,
      "States.Timeout",
      "Sandbox.Timedout",
      ...codesRetried("transient"),
    ],
    ...transientBackoff,
  },
  /**
   * Every callback task (lambda:invoke.waitForTaskToken): the same, except States.Timeout, which
   * there means the wait ran out and is caught, not retried.
   */
  CallbackTransient: {
    ErrorEquals: [...LAMBDA_SERVICE_ERRORS, "Sandbox.Timedout", ...codesRetried("transient")],
    ...transientBackoff,
  },
  /** EC2 throttled snaprelay past the SDK's retries (CopySnapshot: at its one attempt): back off more slowly. */
  CloudThrottled: {
    ErrorEquals: codesRetried("throttled"),
    IntervalSeconds: 5,
    MaxAttempts: 8,
    BackoffRate: 2,
    MaxDelaySeconds: 120,
    JitterStrategy: "FULL",
  },
  /** Another attempt holds the copy's start: every 15 s for 4 minutes, past its 120 s claim. */
  CopyStartInProgress: {
    ErrorEquals: codesRetried("claimed"),
    IntervalSeconds: 15,
    MaxAttempts: 16,
    BackoffRate: 1,
    JitterStrategy: "NONE",
  },
  /** A step whose work is worth trying again whatever failed (retention prunes what it can). */
  AnyError: {
    ErrorEquals: ["States.ALL"],
    IntervalSeconds: 10,
    MaxAttempts: 4,
    BackoffRate: 3,
    MaxDelaySeconds: 600,
    JitterStrategy: "FULL",
  },
} as const satisfies Record<string, Retrier>;

export type RetryPolicyName = keyof typeof RETRY_POLICIES;

export const isRetryPolicyName = (name: unknown): name is RetryPolicyName =>
  typeof name === "string" && Object.hasOwn(RETRY_POLICIES, name);
