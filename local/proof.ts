// `npm run -s proof [-- --account 111122223333] [--console] [--api URL --cloud URL]`: prints, on one line, an
// Authorization header value proving the account's identity to the local stack's API (a
// GetCallerIdentity presigned with the account's local keys, good for 15 minutes); with --console,
// a console address signed in as that account instead. Against AWS, the CLI does the same with
// your own credentials (`snaprelay proof`, `snaprelay console`).
import { parseArgs } from "node:util";
import { consoleLink, proofSigner } from "../scripts/cli/proof.js";
import { localCredentialsFor } from "./cloud/local-credentials.js";
import { LOCAL, localPorts } from "./defaults.js";
import { log } from "./log.js";

const { values } = parseArgs({
  options: {
    account: { type: "string", default: LOCAL.demoAccountId },
    console: { type: "boolean", default: false },
    // The stack's API and local cloud; by default those of this shell's ports (SNAPRELAY_*_PORT).
    api: { type: "string" },
    cloud: { type: "string" },
  },
});

if (!/^\d{12}$/.test(values.account)) {
  log.error(`--account must be a 12-digit account id, not "${values.account}"`);
  process.exit(2);
}
const ports = localPorts();
const apiUrl = values.api ?? `http://127.0.0.1:${ports.http}`;
const cloudUrl = values.cloud ?? `http://127.0.0.1:${ports.cloud}`;
const signer = proofSigner(apiUrl, localCredentialsFor(cloudUrl, values.account));
try {
  log.info(values.console ? (await consoleLink(apiUrl, signer)).url : await signer.authorization());
} catch (error) {
  log.error(
    `cannot sign as ${values.account}: ${error instanceof Error ? error.message : String(error)} (is the stack running? npm start)`,
  );
  process.exit(1);
}
