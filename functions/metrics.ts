// snaprelay's metrics in CloudWatch's embedded metric format (Powertools Metrics): each fact is
// one JSON line on stdout, which CloudWatch Logs turns into metrics of the `snaprelay` namespace
// in AWS (locally the lines show in the stack's verbose log). A metric by region is published
// twice over: by service alone (what the alarms watch) and by service and destination region.
import { MetricUnit, Metrics as PowertoolsMetrics } from "@aws-lambda-powertools/metrics";
import type { MetricUnit as Unit } from "@aws-lambda-powertools/metrics/types";
import type { Metrics } from "./core/ports.js";

export const METRICS_NAMESPACE = "snaprelay";

const emf = new PowertoolsMetrics({ namespace: METRICS_NAMESPACE, serviceName: "snaprelay" });

type Point = [name: string, unit: Unit, value: number];

/** One line: the points, under `dimension` and under the service alone. Nothing awaits between. */
const publish = (points: Point[], dimension?: [name: string, value: string]) => {
  if (dimension) {
    emf.addDimension(...dimension);
    emf.addDimensions({});
  }
  for (const [name, unit, value] of points) emf.addMetric(name, unit, value);
  emf.publishStoredMetrics();
};

const byRegion = (region: string): [string, string] => ["DestinationRegion", region];

export const cloudWatchMetrics: Metrics = {
  copyStarted: (region, waitedSeconds) =>
    publish(
      [
        ["CopiesStarted", MetricUnit.Count, 1],
        ["QueueWaitSeconds", MetricUnit.Seconds, waitedSeconds],
      ],
      byRegion(region),
    ),
  copyCompleted: (region, { bytes, seconds }) =>
    publish(
      [
        ["CopiesCompleted", MetricUnit.Count, 1],
        ["BytesMoved", MetricUnit.Bytes, bytes],
        ["CopyDurationSeconds", MetricUnit.Seconds, seconds],
      ],
      byRegion(region),
    ),
  copyFailed: (region) => publish([["CopiesFailed", MetricUnit.Count, 1]], byRegion(region)),
  rejected: (code) => publish([["Rejections", MetricUnit.Count, 1]], ["Code", code]),
  queueLength: (region, waiting, inUse) =>
    publish(
      [
        ["QueueLength", MetricUnit.Count, waiting],
        ["SlotsInUse", MetricUnit.Count, inUse],
      ],
      byRegion(region),
    ),
  rpoBreached: (region) => publish([["RpoBreaches", MetricUnit.Count, 1]], byRegion(region)),
  failedCopyEventsReplayed: ({ replayed, dropped, left }) =>
    publish([
      ["FailedCopyEventsReplayed", MetricUnit.Count, replayed],
      ["FailedCopyEventsDropped", MetricUnit.Count, dropped],
      ["FailedCopyEventsLeft", MetricUnit.Count, left],
    ]),
};
