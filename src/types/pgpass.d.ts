/** The pgpass module (pg's own choice for libpq's password file); it ships no types. */
declare module 'pgpass' {
  interface ConnectionInfo {
    host?: string;
    port?: number | string;
    database?: string;
    user?: string;
  }
  /** Looks `info` up in PGPASSFILE or ~/.pgpass (ignored unless private, as libpq does); undefined when nothing matches. */
  function pgpass(info: ConnectionInfo, callback: (password: string | undefined) => void): void;
  export = pgpass;
}
