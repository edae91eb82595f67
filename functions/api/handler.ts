// The HTTP API's Lambda: one route table, authentication before any private route, and every
// outcome as JSON. Each route is a small function over the domain.
import { DomainError } from "../core/errors.js";
import { servicesFromEnv } from "../wiring.js";
import { errorResponse, type HttpResponse } from "./http.js";
import { type ApiEvent, callerOf } from "./request-context.js";
import { health } from "./routes/health.js";
import {
  type Caller,
  getReplication,
  listReplications,
  startReplication,
} from "./routes/replications.js";
import { getSnapshot } from "./routes/snapshots.js";

const services = servicesFromEnv();

type PrivateRoute = (event: ApiEvent, caller: Caller, s: typeof services) => Promise<HttpResponse>;

const privateRoutes: Record<string, PrivateRoute> = {
  "POST /replications": startReplication,
  "GET /replications": listReplications,
  "GET /replications/{jobId}": getReplication,
  "GET /regions/{region}/snapshots/{snapshotId}": getSnapshot,
};

export const handler = async (event: ApiEvent): Promise<HttpResponse> => {
  const requestId = event.requestContext.requestId;
  try {
    if (event.routeKey === "GET /health") return await health(services);
    const route = privateRoutes[event.routeKey];
    if (!route) throw new DomainError("RouteNotFound", `No route ${event.routeKey}.`);
    return await route(event, callerOf(event, services.policy), services);
  } catch (error) {
    return errorResponse(error, requestId);
  }
};
