// What Lambda does with an asynchronous invocation that failed (EventBridge's rules invoke
// asynchronously), for the local EventBridge: serverless-offline-aws-eventbridge (patched, see
// patches/) asks it after each failed attempt. As Lambda does, it runs the event again after 1,
// then 2 minutes (the function's maximumRetryAttempts, 2 by default) while the event is younger
// than the function's maximumEventAge (6 hours by default), then sends the invocation record to
// the function's on-failure destination, or drops the event if it has none:
// https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html
// https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html
// Only SQS destinations are modelled (the local SQS, AWS_ENDPOINT_URL_SQS), and a record goes
// there only if Lambda could send it: a standard queue, and a function role that allows
// sqs:SendMessage on it (its inline policies in serverless.yml). Otherwise, as in AWS, the record
// is lost (Lambda counts a DestinationDeliveryFailures), and the notice says why.
import { GetQueueUrlCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";

/** The parts of a function's definition (serverless.yml, resolved) read here. */
export interface FunctionDefinition {
  name?: string;
  role?: unknown;
  maximumRetryAttempts?: number;
  maximumEventAge?: number;
  destinations?: { onFailure?: unknown };
}

type Resources = Record<string, { Type?: string; Properties?: Record<string, unknown> }>;

export interface FailureDestinationOptions {
  functions: Record<string, FunctionDefinition>;
  /** The template's resources (serverless.yml's, as the plugin reads them). */
  resources: Resources | undefined;
  region: string;
  accountId: string;
  /** One minute of Lambda's time, in real milliseconds: the compressed clock's minute. */
  minuteMs: number;
  /** A function's retries when it sets none: Lambda's default, 2. */
  defaultRetryAttempts?: number;
  /** Sends a record to a queue by name; default: the local SQS at AWS_ENDPOINT_URL_SQS. */
  send?: (queueName: string, body: string) => Promise<void>;
  now?: () => number;
}

/** One failed attempt at an event, as the bus tells it. */
export interface FailedAttempt {
  functionKey: string;
  /** The asynchronous invocation's id: the same over its attempts. */
  requestId: string;
  event: unknown;
  error: unknown;
  /** Attempts made so far, this one included. */
  attempts: number;
  /** When the event came to Lambda (epoch ms). */
  receivedAt: number;
}

export type AfterError =
  | { retryInMs: number }
  | { gaveUp: "RetriesExhausted" | "EventAgeExceeded"; notice: string };

export interface FailureDestinations {
  afterError(attempt: FailedAttempt): Promise<AfterError>;
}

const LAMBDA_DEFAULT_RETRIES = 2;
const LAMBDA_DEFAULT_EVENT_AGE_SECONDS = 21_600;

/**
 * Whether to run the event again, and when: after 1 minute, then 2, while retries are left and the
 * event would still be younger than its maximum age when it runs.
 */
export const nextAttempt = (options: {
  attempts: number;
  maximumRetryAttempts: number;
  maximumEventAgeSeconds: number;
  receivedAt: number;
  now: number;
  minuteMs: number;
}): { retryInMs: number } | { gaveUp: "RetriesExhausted" | "EventAgeExceeded" } => {
  if (options.attempts > options.maximumRetryAttempts) return { gaveUp: "RetriesExhausted" };
  const retryInMs = options.minuteMs * 2 ** (options.attempts - 1);
  const ageLimitMs = (options.maximumEventAgeSeconds / 60) * options.minuteMs;
  if (options.now + retryInMs - options.receivedAt > ageLimitMs)
    return { gaveUp: "EventAgeExceeded" };
  return { retryInMs };
};

/** The error as a Node.js function's failed invocation answers it. */
const responsePayload = (error: unknown) => {
  if (error instanceof Error) {
    return {
      errorType: error.name,
      errorMessage: error.message,
      trace: (error.stack ?? "").split("\n").filter(Boolean),
    };
  }
  return { errorType: "Error", errorMessage: String(error), trace: [] };
};

/** Lambda's record of an asynchronous invocation that failed, as it sends it to a destination. */
export const invocationRecord = (options: {
  functionArn: string;
  requestId: string;
  condition: "RetriesExhausted" | "EventAgeExceeded";
  attempts: number;
  event: unknown;
  error: unknown;
  at: Date;
}) => ({
  version: "1.0",
  timestamp: options.at.toISOString(),
  requestContext: {
    requestId: options.requestId,
    functionArn: options.functionArn,
    condition: options.condition,
    approximateInvokeCount: options.attempts,
  },
  requestPayload: options.event,
  responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" },
  responsePayload: responsePayload(options.error),
});

const getAttArnOf = (value: unknown): string | undefined => {
  const getAtt = (value as { "Fn::GetAtt"?: unknown } | null)?.["Fn::GetAtt"];
  return Array.isArray(getAtt) && getAtt[1] === "Arn" ? String(getAtt[0]) : undefined;
};

const asList = (value: unknown): unknown[] => (Array.isArray(value) ? value : [value]);

const sameValue = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Whether the role's inline policies allow sqs:SendMessage on `queueArn` (no Deny is modelled). */
const roleMaySend = (resources: Resources, role: unknown, queueArn: unknown): boolean => {
  if (typeof role !== "string") return false;
  const policies = asList(resources[role]?.Properties?.Policies);
  return policies.some((policy) =>
    asList(
      (policy as { PolicyDocument?: { Statement?: unknown } } | null)?.PolicyDocument?.Statement,
    ).some((raw) => {
      const statement = raw as { Effect?: unknown; Action?: unknown; Resource?: unknown } | null;
      if (statement?.Effect !== "Allow") return false;
      const actions = asList(statement.Action).map(String);
      if (!actions.some((action) => ["sqs:SendMessage", "sqs:*", "*"].includes(action))) {
        return false;
      }
      return asList(statement.Resource).some(
        (resource) => resource === "*" || sameValue(resource, queueArn),
      );
    }),
  );
};

/** The queue a function's on-failure destination names, or why Lambda could not send to it. */
const queueOf = (
  fn: FunctionDefinition,
  resources: Resources,
  accountId: string,
): { queueName: string } | { problem: string } | undefined => {
  const destination = fn.destinations?.onFailure;
  if (destination === undefined) return undefined;
  const arn =
    typeof destination === "object" && destination !== null
      ? (destination as { arn?: unknown }).arn
      : destination;
  let queueName: string | undefined;
  const logicalId = getAttArnOf(arn);
  if (logicalId) {
    const queue = resources[logicalId];
    if (queue?.Type !== "AWS::SQS::Queue") {
      return {
        problem: `its destination ${logicalId} is not an SQS queue, the only kind modelled locally`,
      };
    }
    queueName = String(queue.Properties?.QueueName ?? "");
  } else if (typeof arn === "string" && /^arn:aws[\w-]*:sqs:/.test(arn)) {
    const [, , , , owner, name] = arn.split(":");
    if (owner !== accountId) {
      return { problem: `its destination ${arn} is another account's queue, not modelled locally` };
    }
    queueName = name;
  } else {
    return {
      problem: `its destination ${JSON.stringify(arn)} is no SQS queue, the only kind modelled locally`,
    };
  }
  if (!queueName) return { problem: "its destination queue has no QueueName" };
  if (queueName.endsWith(".fifo")) {
    return {
      problem: `its destination ${queueName} is a FIFO queue, which Lambda sends nothing to`,
    };
  }
  if (!roleMaySend(resources, fn.role, arn)) {
    return {
      problem: `its role ${String(fn.role)} does not allow sqs:SendMessage on its destination ${queueName}`,
    };
  }
  return { queueName };
};

/** Sends to the local SQS by queue name; refuses when no local SQS is set. */
const localSqsSender = (region: string, accountId: string) => {
  const endpoint = process.env.AWS_ENDPOINT_URL_SQS;
  let client: SQSClient | undefined;
  const urls = new Map<string, string>();
  return async (queueName: string, body: string) => {
    if (!endpoint) throw new Error("no local SQS: AWS_ENDPOINT_URL_SQS is not set");
    client ??= new SQSClient({ region, endpoint });
    let url = urls.get(queueName);
    if (!url) {
      const found = await client.send(
        new GetQueueUrlCommand({ QueueName: queueName, QueueOwnerAWSAccountId: accountId }),
      );
      url = String(found.QueueUrl);
      urls.set(queueName, url);
    }
    await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body }));
  };
};

export const createFailureDestinations = (
  options: FailureDestinationOptions,
): FailureDestinations => {
  const resources = options.resources ?? {};
  const now = options.now ?? Date.now;
  const send = options.send ?? localSqsSender(options.region, options.accountId);
  return {
    async afterError(attempt) {
      const fn = options.functions[attempt.functionKey] ?? {};
      const next = nextAttempt({
        attempts: attempt.attempts,
        maximumRetryAttempts:
          fn.maximumRetryAttempts ?? options.defaultRetryAttempts ?? LAMBDA_DEFAULT_RETRIES,
        maximumEventAgeSeconds: fn.maximumEventAge ?? LAMBDA_DEFAULT_EVENT_AGE_SECONDS,
        receivedAt: attempt.receivedAt,
        now: now(),
        minuteMs: options.minuteMs,
      });
      if ("retryInMs" in next) return next;
      const eventId = (attempt.event as { id?: unknown } | null)?.id;
      const lead = `${attempt.functionKey} failed on ${attempt.attempts} attempt(s) at event ${String(eventId)} (${next.gaveUp})`;
      const queue = queueOf(fn, resources, options.accountId);
      if (queue === undefined) {
        return {
          ...next,
          notice: `${lead}; it has no failure destination, so the event is dropped`,
        };
      }
      if ("problem" in queue) {
        return {
          ...next,
          notice: `${lead}; its record is lost (DestinationDeliveryFailures): ${queue.problem}`,
        };
      }
      const functionName = fn.name ?? attempt.functionKey;
      const record = invocationRecord({
        functionArn: `arn:aws:lambda:${options.region}:${options.accountId}:function:${functionName}:$LATEST`,
        requestId: attempt.requestId,
        condition: next.gaveUp,
        attempts: attempt.attempts,
        event: attempt.event,
        error: attempt.error,
        at: new Date(now()),
      });
      try {
        await send(queue.queueName, JSON.stringify(record));
      } catch (error) {
        return {
          ...next,
          notice: `${lead}; its record is lost (DestinationDeliveryFailures): ${error instanceof Error ? error.message : String(error)}`,
        };
      }
      return { ...next, notice: `${lead}; its record went to ${queue.queueName}` };
    },
  };
};
