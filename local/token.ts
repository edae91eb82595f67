// `npm run token -- --account 111122223333 [--admin]`: prints, on one line, a bearer token for
// the local stack (signed with AUTH_TOKEN_SECRET, or the local default); with --admin it carries
// the admin role, which decides access requests.
import { parseArgs } from "node:util";
import { ADMIN_ROLE, issueToken } from "../functions/api/tokens.js";
import { LOCAL } from "./defaults.js";
import { log } from "./log.js";

const { values } = parseArgs({
  options: {
    account: { type: "string", default: LOCAL.demoAccountId },
    "ttl-hours": { type: "string", default: "12" },
    admin: { type: "boolean", default: false },
  },
});

const account = values.account;
const ttlHours = Number(values["ttl-hours"]);
if (!/^\d{12}$/.test(account)) {
  log.error(`--account must be a 12-digit account id, not "${account}"`);
  process.exit(2);
}
if (!Number.isFinite(ttlHours) || ttlHours <= 0 || ttlHours > 24 * 30) {
  log.error(
    `--ttl-hours must be a number of hours between 0 and 720, not "${values["ttl-hours"]}"`,
  );
  process.exit(2);
}

const token = await issueToken(
  account,
  { secret: LOCAL.authTokenSecret, issuer: LOCAL.authTokenIssuer },
  Math.round(ttlHours * 3600),
  values.admin ? [ADMIN_ROLE] : [],
);
log.info(token);
