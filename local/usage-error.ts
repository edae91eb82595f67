// A command line that asks for something the tool cannot do: the tool prints the message and its
// usage, and exits 2, with no stack trace.

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}
