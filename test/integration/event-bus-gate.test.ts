// The local EventBridge's gate and the events only AWS's services send: an aws.states event gets on
// the bus only as the local Step Functions service delivers it, signed with the bus account's keys
// and carrying the stack's token under that signature; without the token, with another, from
// another account, or with another aws.* source, it is refused as any account's aws.* event is.
import {
  EventBridgeClient,
  PutEventsCommand,
  type PutEventsCommandOutput,
  type PutEventsRequestEntry,
} from "@aws-sdk/client-eventbridge";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { AWS_SERVICE_TOKEN, AWS_SERVICE_TOKEN_ENV } from "../../local/event-bus/gate.js";
import { serviceDeliveryClient } from "../../local/stepfunctions/status-events.js";
import { keysOf, startTestBus, type TestBus } from "./event-bus-harness.js";

const BUS_ACCOUNT = "000000000000";
const TENANT = "444455556666";
const REGION = "ap-shanghai";
const TOKEN = "6f1d0c4e9a2b7f35c8e1d4a6b9f20c7e5a3d8b1f6e4c2a9d7b5f3e1c8a6d4b2f";
const EXECUTION = `arn:aws:states:${REGION}:${BUS_ACCOUNT}:execution:replication:job-1`;

/** An execution's status change, as Step Functions sends it. */
const statusChange = (fields: Partial<PutEventsRequestEntry> = {}): PutEventsRequestEntry => ({
  Source: "aws.states",
  DetailType: "Step Functions Execution Status Change",
  Resources: [EXECUTION],
  Detail: JSON.stringify({ executionArn: EXECUTION, status: "SUCCEEDED" }),
  ...fields,
});

const REFUSED_AWS_SOURCE = {
  ErrorCode: "NotAuthorizedForSourceException",
  ErrorMessage: expect.stringContaining(
    'only AWS services send events whose source begins with "aws.", not a PutEvents call',
  ),
};

let bus: TestBus;
const clients: EventBridgeClient[] = [];

/** A client as the local Step Functions service makes it, signing as `accountId`. */
const serviceClient = (token: string, accountId = BUS_ACCOUNT) => {
  const client = serviceDeliveryClient({
    region: REGION,
    endpoint: bus.url,
    credentials: keysOf(accountId),
    token,
  });
  clients.push(client);
  return client;
};

/** A plain PutEvents caller signing as `accountId`. */
const accountClient = (accountId: string) => {
  const client = new EventBridgeClient({
    region: REGION,
    endpoint: bus.url,
    credentials: keysOf(accountId),
    maxAttempts: 1,
  });
  clients.push(client);
  return client;
};

const put = (client: EventBridgeClient, entry: PutEventsRequestEntry) =>
  client.send(new PutEventsCommand({ Entries: [entry] }));

const onlyEntry = (answer: PutEventsCommandOutput) => answer.Entries?.[0];

beforeAll(async () => {
  bus = await startTestBus({
    busAccountId: BUS_ACCOUNT,
    busRegion: REGION,
    awsServiceToken: TOKEN,
  });
});

afterEach(() => {
  for (const client of clients.splice(0)) client.destroy();
  bus.admitted.splice(0);
});

afterAll(async () => {
  await bus?.close();
});

describe("an aws.states event", () => {
  it("is admitted from the local Step Functions service, signed with the bus account's keys and the stack's token", async () => {
    // Act
    const answer = await put(serviceClient(TOKEN), statusChange());

    // Assess
    expect(answer.FailedEntryCount).toBe(0);
    expect(onlyEntry(answer)?.EventId).toEqual(expect.any(String));
    expect(bus.admitted).toEqual([
      expect.objectContaining({
        id: onlyEntry(answer)?.EventId,
        account: BUS_ACCOUNT,
        region: REGION,
        source: "aws.states",
        detailType: "Step Functions Execution Status Change",
        resources: [EXECUTION],
      }),
    ]);
  });

  it("is refused when signed with the bus account's keys but without the token", async () => {
    // Act
    const answer = await put(accountClient(BUS_ACCOUNT), statusChange());

    // Assess
    expect(answer.FailedEntryCount).toBe(1);
    expect(onlyEntry(answer)).toEqual(REFUSED_AWS_SOURCE);
    expect(bus.admitted).toEqual([]);
  });

  it("is refused when the token is not the stack's", async () => {
    // Act
    const answers = await Promise.all(
      ["not-the-token", TOKEN.slice(0, -1), `${TOKEN}0`].map((token) =>
        put(serviceClient(token), statusChange()),
      ),
    );

    // Assess
    expect(answers.map(onlyEntry)).toEqual([
      REFUSED_AWS_SOURCE,
      REFUSED_AWS_SOURCE,
      REFUSED_AWS_SOURCE,
    ]);
    expect(bus.admitted).toEqual([]);
  });

  it("is refused with the right token from another account's keys", async () => {
    // Act
    const answer = await put(serviceClient(TOKEN, TENANT), statusChange());

    // Assess
    expect(onlyEntry(answer)).toEqual(REFUSED_AWS_SOURCE);
    expect(bus.admitted).toEqual([]);
  });

  it("refuses the whole request when the token's header is not under the signature", async () => {
    // Prepare: the header is added after signing, as a replayed request's would be
    const client = accountClient(BUS_ACCOUNT);
    client.middlewareStack.add(
      (next) => (args) => {
        const { request } = args as { request: { headers: Record<string, string> } };
        request.headers[AWS_SERVICE_TOKEN] = TOKEN;
        return next(args);
      },
      { step: "deserialize", name: "unsignedToken" },
    );

    // Act
    const failure = await put(client, statusChange()).catch((error: unknown) => error);

    // Assess
    expect(failure).toMatchObject({
      name: "IncompleteSignatureException",
      message: `${AWS_SERVICE_TOKEN} must be a signed header.`,
    });
    expect(bus.admitted).toEqual([]);
  });
});

describe("the token", () => {
  it("admits no aws.* source but aws.states", async () => {
    // Act
    const answer = await put(
      serviceClient(TOKEN),
      statusChange({
        Source: "aws.ec2",
        DetailType: "EBS Snapshot Notification",
        Detail: JSON.stringify({ event: "copySnapshot", result: "succeeded" }),
      }),
    );

    // Assess
    expect(onlyEntry(answer)).toEqual(REFUSED_AWS_SOURCE);
    expect(bus.admitted).toEqual([]);
  });

  it("is read from serverless-offline's environment, and taken out of it for the functions sharing it", async () => {
    // Prepare
    process.env[AWS_SERVICE_TOKEN_ENV] = TOKEN;
    const fromEnvironment = await startTestBus({ busAccountId: BUS_ACCOUNT, busRegion: REGION });
    const client = serviceDeliveryClient({
      region: REGION,
      endpoint: fromEnvironment.url,
      credentials: keysOf(BUS_ACCOUNT),
      token: TOKEN,
    });
    clients.push(client);

    // Act
    const answer = await put(client, statusChange()).finally(() => fromEnvironment.close());

    // Assess
    expect(process.env[AWS_SERVICE_TOKEN_ENV]).toBeUndefined();
    expect(answer.FailedEntryCount).toBe(0);
    expect(fromEnvironment.admitted.map((event) => event.source)).toEqual(["aws.states"]);
  });

  it("admits nothing of AWS's when the stack gave none", async () => {
    // Prepare
    delete process.env[AWS_SERVICE_TOKEN_ENV];
    const without = await startTestBus({ busAccountId: BUS_ACCOUNT, busRegion: REGION });
    const client = serviceDeliveryClient({
      region: REGION,
      endpoint: without.url,
      credentials: keysOf(BUS_ACCOUNT),
      token: TOKEN,
    });
    clients.push(client);

    // Act
    const answer = await put(client, statusChange()).finally(() => without.close());

    // Assess
    expect(onlyEntry(answer)).toEqual(REFUSED_AWS_SOURCE);
    expect(without.admitted).toEqual([]);
  });
});
