/** Ports for tests that need a server nobody runs. */
import { createServer, type Server, type Socket } from 'node:net';

/** A loopback port on which nothing listens (it was free a moment ago). */
export function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const listener = createServer();
    listener.once('error', reject);
    listener.listen(0, '127.0.0.1', () => {
      const address = listener.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      listener.close(() => resolve(port));
    });
  });
}

/** A loopback server that accepts connections and never says a word: a database that hangs. */
export interface SilentServer {
  port: number;
  /** Connections made to it so far. */
  readonly connections: number;
  close(): void;
}

export async function silentServer(): Promise<SilentServer> {
  const sockets: Socket[] = [];
  const server: Server = createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    get connections() {
      return sockets.length;
    },
    close() {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}
