/**
 * A storage that goes away midway: a real HTTP proxy in front of the test's
 * S3 server that passes the first `allowed` requests through as they are
 * and then resets the connection of every request after them, as a server
 * that is stopped, or a network that drops, does to a run under way.
 */
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';

export interface CuttingProxy {
  endpoint: string;
  /** Requests received so far, the cut ones too. */
  readonly requests: number;
  close(): Promise<void>;
}

export async function cuttingProxy(upstream: string, allowed: number): Promise<CuttingProxy> {
  const target = new URL(upstream);
  let requests = 0;
  const server = createServer((incoming: IncomingMessage, outgoing: ServerResponse) => {
    requests += 1;
    if (requests > allowed) {
      incoming.socket.destroy();
      return;
    }
    // The headers go on as they are: the request is signed for the proxy's host, and s3rver checks what it receives.
    const forwarded = request({ host: target.hostname, port: target.port, method: incoming.method, path: incoming.url, headers: incoming.headers }, (answer) => {
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(outgoing);
    });
    forwarded.on('error', () => incoming.socket.destroy());
    incoming.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    endpoint: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`,
    get requests() {
      return requests;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
