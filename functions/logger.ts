// Structured JSON logs (Powertools Logger): one line per event, with the job and step as keys,
// so an operator can follow one job across the steps in CloudWatch Logs Insights.
import { Logger } from "@aws-lambda-powertools/logger";

export const logger = new Logger({ serviceName: "snaprelay" });
