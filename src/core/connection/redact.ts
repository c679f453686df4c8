/**
 * Passwords out of text, where they stand: in URLs and in password
 * settings. Small and free of other imports, so the CLI's launcher can hide
 * a password given on the command line before anything else loads.
 */

const REDACTED = '****';

/**
 * The URL with its password replaced by ****. Works on malformed text too,
 * preferring to hide too much over showing any part of a password.
 */
export function redactUrl(url: string): string {
  const withoutAssignments = redactPasswordAssignments(url);
  const scheme = /^\s*[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(withoutAssignments);
  const head = scheme ? scheme[0] : '';
  const rest = withoutAssignments.slice(head.length);

  const queryStart = rest.indexOf('?');
  const beforeQuery = queryStart === -1 ? rest : rest.slice(0, queryStart);
  // An unencoded '?' in the password hides the '@' behind the query start.
  let at = beforeQuery.lastIndexOf('@');
  if (at === -1) at = rest.lastIndexOf('@');
  if (at !== -1) {
    const colon = rest.slice(0, at).indexOf(':');
    if (colon === -1 || colon === at - 1) return head + rest;
    return head + rest.slice(0, colon + 1) + REDACTED + rest.slice(at);
  }
  // Without an '@', "user:secret/x" looks like "host:port/x"; only digits are a port.
  const authorityEnd = rest.search(/[/?]/);
  const authority = authorityEnd === -1 ? rest : rest.slice(0, authorityEnd);
  const colon = authority.startsWith('[') ? authority.indexOf(':', authority.indexOf(']')) : authority.indexOf(':');
  if (colon === -1 || /^\d*$/.test(authority.slice(colon + 1))) return head + rest;
  return head + rest.slice(0, colon + 1) + REDACTED;
}

function redactPasswordAssignments(text: string): string {
  // ?password=..., keyword/value strings (password='a b', sslpassword=...), PGPASSWORD=... in a dumped
  // environment, and "password": "..." in JSON.
  return text
    .replace(/(password\s*=\s*)(?:'(?:[^'\\]|\\.)*'?|"(?:[^"\\]|\\.)*"?|[^\s&]+)/gi, `$1${REDACTED}`)
    .replace(/("(?:ssl)?password"\s*:\s*)"(?:[^"\\]|\\.)*"/gi, `$1"${REDACTED}"`);
}

/**
 * Masks passwords where they stand in free text such as a tool's stderr or
 * a report: the credentials of URLs (postgresql://user:****@host), and
 * password settings (password=****, PGPASSWORD=****, "password": "****").
 * Never a bare word: a password that is also a schema, a role or a user
 * name ("public", Supabase's local postgres/postgres) must not blank every
 * mention of that name, and a mask over every "public" would tell anyone
 * what the password is.
 */
export function redactText(text: string): string {
  const withoutUrlPasswords = text.replace(/postgres(?:ql)?:\/\/[^\s'"<>]+/gi, (url) => redactUrl(url));
  return redactPasswordAssignments(withoutUrlPasswords);
}

/**
 * Masks the user and password of http(s) URLs in text (an offsite endpoint
 * written as http://KEY:SECRET@host, whose user is an access key ID), as
 * `http://****@host`. Apart from redactText, whose callers also decide with
 * it whether a command line holds a database password.
 */
export function redactHttpCredentials(text: string): string {
  return text.replace(/\b(https?:\/\/)[^\s'"<>/?#@]+@/gi, `$1${REDACTED}@`);
}
