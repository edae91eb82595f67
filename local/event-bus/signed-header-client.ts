// An EventBridge client whose every request carries one header of the gate's (a rule's delivery,
// the local Step Functions service's token), set before signing so that the signature covers it:
// the gate takes such a header in no unsigned request (gate.ts).
import { EventBridgeClient, type EventBridgeClientConfig } from "@aws-sdk/client-eventbridge";

export const signedHeaderClient = (options: {
  region: string;
  endpoint: string;
  credentials: EventBridgeClientConfig["credentials"];
  header: { name: string; value: string };
}): EventBridgeClient => {
  const client = new EventBridgeClient({
    region: options.region,
    endpoint: options.endpoint,
    credentials: options.credentials,
    maxAttempts: 3,
  });
  const { name, value } = options.header;
  client.middlewareStack.add(
    (next) => (args) => {
      const { request } = args as { request: { headers?: Record<string, string> } };
      if (request.headers) request.headers[name] = value;
      return next(args);
    },
    { step: "build", name: `signedHeader:${name}` },
  );
  return client;
};
