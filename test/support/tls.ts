/**
 * Certificates for tests of TLS connections, made by the real `openssl` in a
 * temporary folder (never committed): a certificate authority, and a server
 * certificate it signs for the names a test chooses — as a hosted database's
 * provider hands out a CA file and a certificate for its host name.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Why certificates cannot be made here, or undefined when `openssl` runs. */
export function certificatesUnavailableReason(): string | undefined {
  try {
    execFileSync('openssl', ['version'], { stdio: 'pipe' });
    return undefined;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'the openssl command is not installed' : `openssl does not run (${String(error)})`;
  }
}

export interface TestCertificates {
  readonly folder: string;
  /** The authority's certificate: what a client passes as sslrootcert. */
  readonly caFile: string;
  /** The server's certificate, signed by the authority. */
  readonly certificateFile: string;
  /** The server certificate's private key. */
  readonly keyFile: string;
  /** The names in the server certificate (subjectAltName DNS entries). */
  readonly hostNames: readonly string[];
  remove(): void;
}

/**
 * A fresh authority and a server certificate for `hostNames` (DNS names
 * only: an IP address a client dials is then not in the certificate, which
 * verify-full must notice).
 */
export function makeCertificates(hostNames: readonly string[], label = 'Pulse Backup test'): TestCertificates {
  if (hostNames.length === 0) throw new Error('a server certificate needs at least one host name');
  const folder = fs.mkdtempSync(path.join(fs.realpathSync(os.tmpdir()), 'pulse-tls-'));
  const file = (name: string): string => path.join(folder, name);
  const openssl = (...args: string[]): void => {
    try {
      execFileSync('openssl', args, { cwd: folder, stdio: 'pipe' });
    } catch (error) {
      fs.rmSync(folder, { recursive: true, force: true });
      const stderr = (error as { stderr?: Buffer }).stderr?.toString('utf8').trim();
      throw new Error(`openssl ${args[0]} failed${stderr ? `: ${stderr}` : ''} (the TLS tests need the openssl command)`, { cause: error });
    }
  };

  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    `/CN=${label} CA`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
    '-keyout',
    file('ca.key'),
    '-out',
    file('ca.crt'),
  );
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${hostNames[0]}`, '-keyout', file('server.key'), '-out', file('server.csr'));
  fs.writeFileSync(
    file('server.ext'),
    [
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      `subjectAltName=${hostNames.map((name) => `DNS:${name}`).join(',')}`,
      '',
    ].join('\n'),
  );
  openssl(
    'x509',
    '-req',
    '-in',
    file('server.csr'),
    '-CA',
    file('ca.crt'),
    '-CAkey',
    file('ca.key'),
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    file('server.ext'),
    '-out',
    file('server.crt'),
  );
  fs.chmodSync(file('server.key'), 0o600);
  fs.chmodSync(file('ca.key'), 0o600);
  // The CA file must be readable by the CLI under test, whichever user it runs as.
  fs.chmodSync(folder, 0o755);
  fs.chmodSync(file('ca.crt'), 0o644);

  return {
    folder,
    caFile: file('ca.crt'),
    certificateFile: file('server.crt'),
    keyFile: file('server.key'),
    hostNames: [...hostNames],
    remove: () => fs.rmSync(folder, { recursive: true, force: true }),
  };
}
