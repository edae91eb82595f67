// The error a local service answers a request with: the code its wire names (EC2's <Code>, STS's
// <Code>, a JSON protocol's __type, the admin routes' error.code), a message and the HTTP status.
// Each endpoint renders it in its own protocol; anything else thrown there is the service's fault.

export class WireError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    // As the AWS SDKs name the errors they read off the wire.
    this.name = code;
  }
}
