// `npm run -s proof [-- --account 111122223333] [--console]`: prints, on one line, an
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
  },
});

if (!/^\d{12}$/.test(values.account)) {
  log.error(`--account must be a 12-digit account id, not "${values.account}"`);
  process.exit(2);
}
const ports = localPorts();
const apiUrl = `http://127.0.0.1:${ports.http}`;
const signer = proofSigner(
  apiUrl,
  localCredentialsFor(`http://127.0.0.1:${ports.cloud}`, values.account),
);
try {
  log.info(values.console ? (await consoleLink(apiUrl, signer)).url : await signer.authorization());
} catch (error) {
  log.error(
    `cannot sign as ${values.account}: ${error instanceof Error ? error.message : String(error)} (is the stack running? npm start)`,
  );
  process.exit(1);
}
