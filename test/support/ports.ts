/** Ports for tests that need a server nobody runs. */
import { createServer } from 'node:net';

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
