// The default bus's policy as the local EventBridge reads it: serverless.yml's own statement admits
// EBS's copy notifications from any account and nothing else from another account; the bus
// owner's events pass; what the reader does not know never admits.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { BusPolicy, type PutEventsContext } from "../../local/event-bus/bus-policy.js";

const BUS = { accountId: "000000000000", region: "ap-shanghai", partition: "aws" };
const TENANT = "444455556666";

/** The resources serverless.yml deploys, as the plugin reads them. */
const declared = (): unknown =>
  (parse(readFileSync("serverless.yml", "utf8")) as { resources: { Resources: unknown } }).resources
    .Resources;

const putEvents = (fields: Partial<PutEventsContext> = {}): PutEventsContext => ({
  principalAccount: TENANT,
  principalArn: `arn:aws:iam::${TENANT}:user/local`,
  eventBusInvocation: true,
  source: "aws.ec2",
  detailType: "EBS Snapshot Notification",
  ...fields,
});

const policyOf = (statement: unknown) =>
  BusPolicy.fromResources(
    {
      Policy: {
        Type: "AWS::Events::EventBusPolicy",
        Properties: { EventBusName: "default", StatementId: "s", Statement: statement },
      },
    },
    BUS,
  );

describe("serverless.yml's bus policy", () => {
  const policy = BusPolicy.fromResources(declared(), BUS);

  it("is read whole", () => {
    expect(policy.unread).toEqual([]);
  });

  it("admits EBS's copy notifications from any account", () => {
    // Act
    const verdicts = [TENANT, "777788889999"].map((account) =>
      policy.decide(
        putEvents({
          principalAccount: account,
          principalArn: `arn:aws:iam::${account}:user/local`,
        }),
      ),
    );

    // Assess
    expect(verdicts).toEqual([{ admitted: true }, { admitted: true }]);
  });

  it("refuses another source, and another detail type, from another account", () => {
    // Act
    const otherSource = policy.decide(putEvents({ source: "acme.disks" }));
    const otherType = policy.decide(
      putEvents({ detailType: "EC2 Instance State-change Notification" }),
    );

    // Assess
    expect(otherSource).toMatchObject({
      admitted: false,
      code: "NotAuthorizedForSourceException",
    });
    expect(otherType).toMatchObject({
      admitted: false,
      code: "NotAuthorizedForDetailTypeException",
    });
  });

  it("lets the bus's own account put any event", () => {
    // Act
    const verdict = policy.decide(
      putEvents({
        principalAccount: BUS.accountId,
        principalArn: `arn:aws:iam::${BUS.accountId}:user/local`,
        source: "acme.disks",
        detailType: "Disk Copied",
      }),
    );

    // Assess
    expect(verdict).toEqual({ admitted: true });
  });
});

describe("a bus policy", () => {
  const resource = "arn:aws:events:ap-shanghai:000000000000:event-bus/default";

  it("admits nothing from another account when it has no statement", () => {
    // Act
    const verdict = BusPolicy.fromResources({}, BUS).decide(putEvents());

    // Assess
    expect(verdict).toMatchObject({ admitted: false, code: "AccessDeniedException" });
  });

  it("admits the accounts it names, and only them", () => {
    // Prepare
    const policy = policyOf({
      Effect: "Allow",
      Principal: { AWS: [`arn:aws:iam::${TENANT}:root`, "111122223333"] },
      Action: "events:PutEvents",
      Resource: resource,
    });

    // Act
    const named = policy.decide(putEvents());
    const other = policy.decide(
      putEvents({
        principalAccount: "777788889999",
        principalArn: "arn:aws:iam::777788889999:user/local",
      }),
    );

    // Assess
    expect(named).toEqual({ admitted: true });
    expect(other).toMatchObject({ admitted: false, code: "AccessDeniedException" });
  });

  it("takes ForAllValues as true for an absent key, which a Null condition closes", () => {
    // Prepare: a key no PutEvents carries
    const open = policyOf({
      Effect: "Allow",
      Principal: "*",
      Action: "events:PutEvents",
      Resource: resource,
      Condition: { "ForAllValues:StringEquals": { "aws:SourceOrgID": "o-1234567890" } },
    });
    const closed = policyOf({
      Effect: "Allow",
      Principal: "*",
      Action: "events:PutEvents",
      Resource: resource,
      Condition: {
        "ForAllValues:StringEquals": { "aws:SourceOrgID": "o-1234567890" },
        Null: { "aws:SourceOrgID": "false" },
      },
    });

    // Act, Assess
    expect(open.decide(putEvents())).toEqual({ admitted: true });
    expect(closed.decide(putEvents())).toMatchObject({ admitted: false });
  });

  it("lets an explicit Deny win over an Allow, the bus owner included", () => {
    // Prepare
    const policy = BusPolicy.fromResources(
      {
        Allow: {
          Type: "AWS::Events::EventBusPolicy",
          Properties: {
            StatementId: "allow",
            Statement: { Effect: "Allow", Principal: "*", Action: "events:*", Resource: resource },
          },
        },
        Deny: {
          Type: "AWS::Events::EventBusPolicy",
          Properties: {
            StatementId: "deny",
            Statement: {
              Effect: "Deny",
              Principal: "*",
              Action: "events:PutEvents",
              Resource: resource,
              Condition: { StringLike: { "events:source": "acme.*" } },
            },
          },
        },
      },
      BUS,
    );

    // Act
    const denied = policy.decide(
      putEvents({ principalAccount: BUS.accountId, source: "acme.disks" }),
    );
    const allowed = policy.decide(putEvents({ source: "other.disks" }));

    // Assess
    expect(denied).toMatchObject({ admitted: false, code: "AccessDeniedException" });
    expect(allowed).toEqual({ admitted: true });
  });

  it("admits nothing by what it cannot read: an unknown operator, a template condition, NotAction", () => {
    // Prepare
    const unknownOperator = policyOf({
      Effect: "Allow",
      Principal: "*",
      Action: "events:PutEvents",
      Resource: resource,
      Condition: { StringMatchesSomehow: { "events:source": "aws.ec2" } },
    });
    const conditioned = BusPolicy.fromResources(
      {
        Policy: {
          Type: "AWS::Events::EventBusPolicy",
          Condition: "HasTenants",
          Properties: {
            StatementId: "s",
            Statement: { Effect: "Allow", Principal: "*", Action: "events:PutEvents" },
          },
        },
      },
      BUS,
    );
    const notAction = policyOf({ Effect: "Allow", Principal: "*", NotAction: "events:PutRule" });

    // Act, Assess
    expect(unknownOperator.decide(putEvents())).toMatchObject({ admitted: false });
    expect(conditioned.decide(putEvents())).toMatchObject({ admitted: false });
    expect(conditioned.unread).toEqual(["Policy: it has a Condition (HasTenants)"]);
    expect(notAction.decide(putEvents())).toMatchObject({ admitted: false });
    expect(notAction.unread).toEqual(["Policy: NotAction"]);
  });

  it("denies everything by a Deny it cannot read", () => {
    // Prepare
    const policy = BusPolicy.fromResources(
      {
        Allow: {
          Type: "AWS::Events::EventBusPolicy",
          Properties: {
            StatementId: "allow",
            Statement: { Effect: "Allow", Principal: "*", Action: "events:PutEvents" },
          },
        },
        Deny: {
          Type: "AWS::Events::EventBusPolicy",
          Properties: {
            StatementId: "deny",
            Statement: {
              Effect: "Deny",
              Principal: "*",
              Action: "events:PutEvents",
              Resource: { "Fn::GetAtt": ["Bus", "Arn"] },
            },
          },
        },
      },
      BUS,
    );

    // Act, Assess
    expect(policy.decide(putEvents())).toMatchObject({ admitted: false });
  });
});
