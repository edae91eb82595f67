// X-Ray tracing (Powertools Tracer): each invocation is a subsegment named after the function,
// annotated with its cold start, and every AWS SDK call made through an instrumented client is a
// subsegment of its own. Tracing is on only inside Lambda with active tracing (the template turns
// it on); locally, and in tests, the tracer does nothing.
import { Tracer } from "@aws-lambda-powertools/tracer";

export const tracer = new Tracer({ serviceName: "snaprelay" });

/** The client, with its calls traced when tracing is on. */
export const instrumented = <Client extends object>(client: Client): Client =>
  tracer.isTracingEnabled() ? tracer.captureAWSv3Client(client) : client;

/**
 * The handler, each invocation traced as the subsegment `## name` with the error it threw, as
 * Powertools' captureLambdaHandler does (written out: the handlers are plain functions).
 */
export const traced =
  <Args extends unknown[], Result>(name: string, handler: (...args: Args) => Promise<Result>) =>
  async (...args: Args): Promise<Result> => {
    if (!tracer.isTracingEnabled()) return handler(...args);
    const segment = tracer.getSegment();
    const subsegment = segment?.addNewSubsegment(`## ${name}`);
    if (subsegment) tracer.setSegment(subsegment);
    tracer.annotateColdStart();
    tracer.addServiceNameAnnotation();
    try {
      return await handler(...args);
    } catch (error) {
      tracer.addErrorAsMetadata(error as Error);
      throw error;
    } finally {
      subsegment?.close();
      if (segment) tracer.setSegment(segment);
    }
  };
