// The default bus's resource policy as the local EventBridge applies it to each PutEvents entry:
// the AWS::Events::EventBusPolicy resources serverless.yml declares, read as IAM reads a
// resource-based policy. An explicit Deny wins; then an Allow whose principal, action, resource
// and conditions all hold admits; nothing else does, but the bus owner's own events, which its
// identity policies admit (the local keys act as an administrator). Whatever it cannot read (an
// intrinsic function, an element or a condition operator it does not know, a resource condition)
// never admits and always denies, so the local bus is never kinder than AWS's.

/** The bus the policy is attached to. */
export interface Bus {
  accountId: string;
  region: string;
  partition: string;
}

/** What IAM knows of one PutEvents entry when it reads the bus's policy. */
export interface PutEventsContext {
  /** The account whose credentials signed the PutEvents. */
  principalAccount: string;
  principalArn: string;
  /** Delivered by another bus's rule, not sent by a PutEvents call of the signer's own. */
  eventBusInvocation: boolean;
  source: string;
  detailType: string;
}

export type Verdict =
  | { admitted: true }
  | {
      admitted: false;
      code:
        | "AccessDeniedException"
        | "NotAuthorizedForSourceException"
        | "NotAuthorizedForDetailTypeException";
      message: string;
    };

type Effect = "Allow" | "Deny";

/** A statement as read, or the reason it could not be. */
type Statement =
  | {
      readable: true;
      effect: Effect;
      principals: string[];
      actions: string[];
      resources: string[] | undefined;
      conditions: Condition[];
    }
  | { readable: false; effect: Effect | undefined; why: string };

interface Condition {
  operator: string;
  key: string;
  values: string[];
}

class Unreadable extends Error {}

const PUT_EVENTS = "events:PutEvents";
const ACCOUNT_ID = /^\d{12}$/;
const ROOT_ARN = /^arn:[\w-]+:iam::(\d{12}):root$/;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const listOf = (value: unknown): unknown[] => (Array.isArray(value) ? value : [value]);

/** A value of the template with the pseudo parameters and joins CloudFormation would resolve. */
const resolve = (value: unknown, bus: Bus): unknown => {
  if (Array.isArray(value)) return value.map((item) => resolve(item, bus));
  if (!isRecord(value)) return value;
  const pseudo: Record<string, string> = {
    "AWS::Partition": bus.partition,
    "AWS::Region": bus.region,
    "AWS::AccountId": bus.accountId,
    "AWS::URLSuffix": "amazonaws.com",
  };
  if ("Ref" in value) {
    const name = String(value.Ref);
    if (!(name in pseudo)) throw new Unreadable(`Ref ${name} is not a pseudo parameter`);
    return pseudo[name];
  }
  if ("Fn::Join" in value) {
    const [separator, parts] = listOf(value["Fn::Join"]);
    const resolved = listOf(resolve(parts, bus));
    if (typeof separator !== "string" || resolved.some((part) => typeof part !== "string")) {
      throw new Unreadable("an Fn::Join of something else than strings");
    }
    return resolved.join(separator);
  }
  if ("Fn::Sub" in value && typeof value["Fn::Sub"] === "string") {
    return value["Fn::Sub"].replace(/\$\{([^}]+)\}/g, (_, name: string) => {
      if (!(name in pseudo)) throw new Unreadable(`Fn::Sub of \${${name}}`);
      return pseudo[name] ?? "";
    });
  }
  const intrinsic = Object.keys(value).find((key) => key === "Ref" || key.startsWith("Fn::"));
  if (intrinsic) throw new Unreadable(`the intrinsic function ${intrinsic}`);
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, resolve(item, bus)]));
};

const strings = (value: unknown, what: string): string[] => {
  const values = listOf(value);
  if (values.some((item) => typeof item !== "string" && typeof item !== "boolean")) {
    throw new Unreadable(`${what} is not a string or a list of strings`);
  }
  return values.map(String);
};

const readStatement = (raw: unknown, bus: Bus): Statement => {
  const effect =
    isRecord(raw) && (raw.Effect === "Allow" || raw.Effect === "Deny") ? raw.Effect : undefined;
  try {
    const statement = resolve(raw, bus);
    if (!isRecord(statement) || effect === undefined) throw new Unreadable("no Effect");
    for (const element of ["NotPrincipal", "NotAction", "NotResource"]) {
      if (element in statement) throw new Unreadable(element);
    }
    const principal = statement.Principal;
    const principals =
      principal === "*"
        ? ["*"]
        : isRecord(principal) && "AWS" in principal && Object.keys(principal).length === 1
          ? strings(principal.AWS, "Principal.AWS")
          : undefined;
    if (!principals) throw new Unreadable('a Principal other than "*" or AWS accounts');
    const conditions: Condition[] = [];
    if (statement.Condition !== undefined) {
      if (!isRecord(statement.Condition)) throw new Unreadable("a Condition that is no map");
      for (const [operator, keys] of Object.entries(statement.Condition)) {
        if (!isRecord(keys)) throw new Unreadable(`the condition ${operator}`);
        for (const [key, values] of Object.entries(keys)) {
          conditions.push({ operator, key: key.toLowerCase(), values: strings(values, key) });
        }
      }
    }
    return {
      readable: true,
      effect,
      principals,
      actions: strings(statement.Action, "Action"),
      resources:
        statement.Resource === undefined ? undefined : strings(statement.Resource, "Resource"),
      conditions,
    };
  } catch (error) {
    if (!(error instanceof Unreadable)) throw error;
    return { readable: false, effect, why: error.message };
  }
};

/** `*` and `?` as IAM reads them in actions, resources and StringLike. */
const wildcard = (pattern: string, value: string, ignoreCase = false): boolean => {
  const source = pattern
    .split("")
    .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
    .join("");
  return new RegExp(`^${source}$`, ignoreCase ? "i" : "").test(value);
};

const principalMatches = (principals: string[], context: PutEventsContext): boolean =>
  principals.some((principal) => {
    if (principal === "*") return true;
    if (ACCOUNT_ID.test(principal)) return principal === context.principalAccount;
    const root = ROOT_ARN.exec(principal);
    if (root) return root[1] === context.principalAccount;
    return principal === context.principalArn;
  });

/** The request's value of a condition key (condition keys are not case-sensitive). */
const contextValues = (key: string, context: PutEventsContext): string[] | undefined => {
  switch (key) {
    case "events:source":
      return [context.source];
    case "events:detail-type":
      return [context.detailType];
    case "events:eventbusinvocation":
      return [String(context.eventBusInvocation)];
    case "aws:principalaccount":
      return [context.principalAccount];
    case "aws:principalarn":
      return [context.principalArn];
    default:
      return undefined;
  }
};

const COMPARISONS: Record<string, (policy: string, value: string) => boolean> = {
  StringEquals: (policy, value) => policy === value,
  StringNotEquals: (policy, value) => policy === value,
  StringEqualsIgnoreCase: (policy, value) => policy.toLowerCase() === value.toLowerCase(),
  StringNotEqualsIgnoreCase: (policy, value) => policy.toLowerCase() === value.toLowerCase(),
  StringLike: (policy, value) => wildcard(policy, value),
  StringNotLike: (policy, value) => wildcard(policy, value),
  Bool: (policy, value) => policy.toLowerCase() === value.toLowerCase(),
};
const NEGATED = new Set(["StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike"]);

/** Whether the condition holds, by IAM's rules for absent keys and set operators; unknown: never. */
const holds = (condition: Condition, context: PutEventsContext): boolean => {
  const present = contextValues(condition.key, context);
  if (condition.operator === "Null") {
    return condition.values.some((value) => (value === "true") === (present === undefined));
  }
  const [, qualifier, bare = ""] =
    /^(?:(ForAllValues|ForAnyValue):)?(.+)$/.exec(condition.operator) ?? [];
  const ifExists = bare.endsWith("IfExists");
  const operator = ifExists ? bare.slice(0, -"IfExists".length) : bare;
  const compare = COMPARISONS[operator];
  if (!compare) return false;
  const negated = NEGATED.has(operator);
  const matches = (value: string) => {
    const equal = condition.values.some((policy) => compare(policy, value));
    return negated ? !equal : equal;
  };
  if (qualifier === "ForAllValues") return (present ?? []).every(matches);
  if (qualifier === "ForAnyValue") return (present ?? []).some(matches);
  if (present === undefined) return ifExists || negated;
  return present.some(matches);
};

const denied = (code: Exclude<Verdict, { admitted: true }>["code"], message: string): Verdict => ({
  admitted: false,
  code,
  message,
});

export class BusPolicy {
  private constructor(
    private readonly bus: Bus,
    private readonly statements: Statement[],
    /** What was not read, and why: printed once, when the bus starts. */
    readonly unread: string[],
  ) {}

  /** The policy of `bus` declared in `resources` (a template's, or serverless.yml's). */
  static fromResources(resources: unknown, bus: Bus): BusPolicy {
    const statements: Statement[] = [];
    const unread: string[] = [];
    for (const [name, resource] of Object.entries(isRecord(resources) ? resources : {})) {
      if (!isRecord(resource) || resource.Type !== "AWS::Events::EventBusPolicy") continue;
      const properties = isRecord(resource.Properties) ? resource.Properties : {};
      const busName = properties.EventBusName ?? "default";
      if (busName !== "default" && busName !== BusPolicy.arnOf(bus)) continue;
      if (resource.Condition !== undefined) {
        // Whether CloudFormation creates it depends on a template condition: not read locally.
        unread.push(`${name}: it has a Condition (${String(resource.Condition)})`);
        continue;
      }
      // The older form: one account (or "*") with an optional organization condition.
      const raw =
        properties.Statement ??
        (properties.Principal === undefined
          ? undefined
          : {
              Effect: "Allow",
              Principal: properties.Principal === "*" ? "*" : { AWS: properties.Principal },
              Action: properties.Action ?? PUT_EVENTS,
              ...(isRecord(properties.Condition)
                ? {
                    Condition: {
                      [String(properties.Condition.Type)]: {
                        [String(properties.Condition.Key)]: properties.Condition.Value,
                      },
                    },
                  }
                : {}),
            });
      for (const item of listOf(raw)) {
        const statement = readStatement(item, bus);
        if (!statement.readable) unread.push(`${name}: ${statement.why}`);
        statements.push(statement);
      }
    }
    return new BusPolicy(bus, statements, unread);
  }

  static arnOf(bus: Bus): string {
    return `arn:${bus.partition}:events:${bus.region}:${bus.accountId}:event-bus/default`;
  }

  /** Whether the bus takes this entry. */
  decide(context: PutEventsContext): Verdict {
    const busArn = BusPolicy.arnOf(this.bus);
    const applies = (statement: Statement & { readable: true }) =>
      principalMatches(statement.principals, context) &&
      statement.actions.some((action) => wildcard(action, PUT_EVENTS, true)) &&
      (statement.resources ?? [busArn]).some((resource) => wildcard(resource, busArn));
    const refusal = `${context.principalArn} is not authorized to perform: ${PUT_EVENTS} on resource: ${busArn}`;

    for (const statement of this.statements) {
      if (statement.effect !== "Deny") continue;
      if (
        !statement.readable ||
        (applies(statement) && statement.conditions.every((c) => holds(c, context)))
      ) {
        return denied(
          "AccessDeniedException",
          `${refusal} with an explicit deny in a resource-based policy`,
        );
      }
    }
    if (context.principalAccount === this.bus.accountId) return { admitted: true };
    const candidates = this.statements.filter(
      (statement): statement is Statement & { readable: true } =>
        statement.readable && statement.effect === "Allow" && applies(statement),
    );
    const failing = candidates.map((statement) =>
      statement.conditions.filter((condition) => !holds(condition, context)),
    );
    if (failing.some((conditions) => conditions.length === 0)) return { admitted: true };
    const failedKeys = new Set(failing.flat().map((condition) => condition.key));
    if (failedKeys.has("events:source")) {
      return denied(
        "NotAuthorizedForSourceException",
        `Not authorized for the source: the policy of ${busArn} does not admit source '${context.source}' from ${context.principalAccount}.`,
      );
    }
    if (failedKeys.has("events:detail-type")) {
      return denied(
        "NotAuthorizedForDetailTypeException",
        `Not authorized for the detail type: the policy of ${busArn} does not admit detail-type '${context.detailType}' from ${context.principalAccount}.`,
      );
    }
    return denied(
      "AccessDeniedException",
      `${refusal} because no resource-based policy allows the ${PUT_EVENTS} action`,
    );
  }
}
