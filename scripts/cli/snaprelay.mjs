#!/usr/bin/env node
// The `snaprelay` command (package.json "bin"): runs the CLI's TypeScript through tsx.
import { register } from "tsx/esm/api";

register();
await import("./main.ts");
