/**
 * Reading what `schedule print` prints the way its readers do, written here
 * from their manuals rather than from our printers: cron's command field
 * (crontab(5): unescaped `%` ends the command, `\%` is a `%`) and systemd's
 * unit syntax (systemd.syntax(7), systemd.service(5): specifiers first, then
 * words unquoted with C escapes, `\xHH` and `\uXXXX` among them, then `$$`
 * for a `$` when the command runs).
 */

/** The shell command cron hands to `sh -c` for a crontab line with five time fields. */
export function cronCommand(line: string): string {
  const fields = /^(\S+\s+){5}/.exec(line);
  if (!fields) throw new Error(`not a crontab line with five time fields: ${line}`);
  let command = '';
  const rest = line.slice(fields[0].length);
  for (let index = 0; index < rest.length; index++) {
    const char = rest[index];
    if (char === '\\' && rest[index + 1] === '%') {
      command += '%';
      index++;
    } else if (char === '%') {
      throw new Error('an unescaped % would end the command (the rest would be its standard input)');
    } else command += char;
  }
  return command;
}

/** The line that is not a comment: what crontab -e gets. */
export function crontabLineOf(text: string): string {
  const lines = text.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('#'));
  if (lines.length !== 1) throw new Error(`expected one crontab line, got ${lines.length}:\n${text}`);
  return lines[0];
}

/** The files `schedule print --systemd` prints, each after its `# file: PATH` line. */
export function unitFilesOf(text: string): Map<string, string> {
  const files = new Map<string, string>();
  let current: string | undefined;
  for (const line of text.split('\n')) {
    const heading = /^# file: \S+\/([^/\s]+)$/.exec(line);
    if (heading) {
      current = heading[1];
      files.set(current, '');
    } else if (current !== undefined && !line.startsWith('# ')) files.set(current, `${files.get(current)}${line}\n`);
    else if (line.startsWith('# ')) current = undefined;
  }
  return files;
}

/** Every `Key=value` of a unit's section, values as written. */
export function unitSettings(text: string, section: string): Map<string, string[]> {
  const settings = new Map<string, string[]>();
  let inSection = false;
  for (const line of text.split('\n')) {
    if (/^\[.*\]$/.test(line)) inSection = line === `[${section}]`;
    else if (inSection && /^[A-Za-z]+=/.test(line)) {
      const equals = line.indexOf('=');
      const key = line.slice(0, equals);
      settings.set(key, [...(settings.get(key) ?? []), line.slice(equals + 1)]);
    }
  }
  return settings;
}

/** Specifiers as a user manager expands them: `%%` and `%h` (the home folder). */
export function expandSpecifiers(value: string, home: string): string {
  return value.replace(/%(.)/g, (_match, letter: string) => {
    if (letter === '%') return '%';
    if (letter === 'h') return home;
    throw new Error(`a specifier this reader does not know: %${letter}`);
  });
}

const C_ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'", ' ': ' ' };

/** ExecStart='s words as systemd passes them to the program: specifiers, unquoting, then `$$` → `$`. */
export function execStartWords(value: string, home: string): string[] {
  const text = expandSpecifiers(value, home);
  const words: string[] = [];
  let index = 0;
  while (index < text.length) {
    while (text[index] === ' ' || text[index] === '\t') index++;
    if (index >= text.length) break;
    let word = '';
    let quote: string | undefined;
    for (; index < text.length; index++) {
      const char = text[index];
      if (quote === undefined && (char === ' ' || char === '\t')) break;
      if (char === '\\') {
        const next = text[++index];
        const digits = next === 'x' ? 2 : next === 'u' ? 4 : 0;
        if (digits > 0) {
          const hex = text.slice(index + 1, index + 1 + digits);
          if (!new RegExp(`^[0-9a-fA-F]{${digits}}$`).test(hex)) throw new Error(`a \\${next} escape without ${digits} hex digits`);
          word += String.fromCharCode(parseInt(hex, 16));
          index += digits;
          continue;
        }
        if (next === undefined || C_ESCAPES[next] === undefined) throw new Error(`an escape this reader does not know: \\${next}`);
        word += C_ESCAPES[next];
      } else if (quote === undefined && (char === '"' || char === "'")) quote = char;
      else if (char === quote) quote = undefined;
      else word += char;
    }
    if (quote !== undefined) throw new Error(`unbalanced quoting in ${value}`);
    if (/\$/.test(word.replace(/\$\$/g, ''))) throw new Error(`a variable in ${word}`);
    words.push(word.replace(/\$\$/g, '$'));
  }
  return words;
}

/** Environment= values: one quoted or plain assignment each. */
export function environmentOf(values: readonly string[], home: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const value of values) {
    for (const assignment of execStartWords(value.replace(/\$/g, '$$$$'), home)) {
      const equals = assignment.indexOf('=');
      env[assignment.slice(0, equals)] = assignment.slice(equals + 1);
    }
  }
  return env;
}
