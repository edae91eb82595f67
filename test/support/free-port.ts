// A port nobody listens on right now, for servers that cannot pick their own. It is drawn below
// the kernel's ephemeral range (32768–60999 here), the range outgoing connections take their
// local ports from: a port the OS hands out (listen on 0) can be taken by some test's outgoing
// connection before the server that was to listen on it starts (EADDRINUSE, seen under load).
import { createServer } from "node:net";

const LOWEST = 20_000;
const HIGHEST = 32_767;

/** Whether a server can listen on `port` now, on every interface, as the stack's servers do. */
const canListen = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, () => server.close(() => resolve(true)));
  });

export const freePort = async (): Promise<number> => {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = LOWEST + Math.floor(Math.random() * (HIGHEST - LOWEST + 1));
    if (await canListen(port)) return port;
  }
  throw new Error(`no free port between ${LOWEST} and ${HIGHEST} after 100 tries`);
};
