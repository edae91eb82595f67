// Signing in: GET /auth says how to make a proof of identity; POST /sessions turns a proof into a
// short-lived session (the console's sign-in); GET /session says who is signed in and until when;
// DELETE /session signs out.
import { z } from "zod";
import { recipeOf } from "../../core/caller-proof.js";
import { parseWith } from "../../core/request.js";
import { endSession, SESSION_SECONDS, startSession } from "../../core/sign-in.js";
import type { ApiDeps } from "../../wiring.js";
import { json } from "../http.js";
import { type ApiEvent, type Caller, header, jsonBody } from "../request-context.js";

export const SessionRequestSchema = z.strictObject({
  /** How long the session lasts, in seconds: an hour unless asked. */
  durationSeconds: z.number().int().min(SESSION_SECONDS.min).max(SESSION_SECONDS.max).optional(),
});

/** Who is signed in, as the API shows it. */
const whoAmI = (caller: Caller) => ({
  accountId: caller.accountId,
  principalArn: caller.principalArn,
  admin: caller.admin,
  via: caller.via,
  expiresAt: caller.expiresAt,
});

/** GET /auth: public; what to presign, for which endpoint, audience and age. */
export const authRecipe = (deps: ApiDeps) => json(200, recipeOf(deps.signIn.proofs));

/** POST /sessions */
export const createSession = async (event: ApiEvent, caller: Caller, deps: ApiDeps) => {
  const request = parseWith(
    SessionRequestSchema,
    event.body ? jsonBody(event) : {},
    "session request",
  );
  const { sessionToken, session } = await startSession(
    caller,
    request.durationSeconds,
    deps.signIn,
  );
  return json(201, {
    sessionToken,
    ...whoAmI({ ...caller, via: "session", expiresAt: session.expiresAt }),
  });
};

/** GET /session */
export const getSession = async (_event: ApiEvent, caller: Caller) => json(200, whoAmI(caller));

/** DELETE /session */
export const deleteSession = async (event: ApiEvent, _caller: Caller, deps: ApiDeps) => {
  const ended = await endSession(header(event, "authorization"), deps.signIn);
  return json(200, { signedOut: ended });
};
