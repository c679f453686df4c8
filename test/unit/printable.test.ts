import { strict as assert } from 'node:assert';
import { Writable } from 'node:stream';
import { printable, printableLines, printableName } from '../../src/core/format';
import { escapeHtml } from '../../src/core/markup';
import { escapeMarkdown, markdownCode, markdownFence } from '../../src/core/report/markdown';
import { printableStream, rawStream } from '../../src/cli/printableStream';
import { CLEAR_LINE, terminalLine, terminalLiveLine } from '../../src/extension/terminalText';

/** Every character a terminal acts on, and some it shows. */
const ALL_CONTROLS = [...Array.from({ length: 0x20 }, (_, code) => code), 0x7f, ...Array.from({ length: 0x20 }, (_, code) => 0x80 + code), 0x202a, 0x202e, 0x2066, 0x2069]
  .map((code) => String.fromCharCode(code))
  .join('');
// eslint-disable-next-line no-control-regex -- control characters are what it finds
const RAW_CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

describe('text a terminal would act on, made printable', () => {
  it('shows every control character of a name as an escape, and leaves other text as it is', () => {
    assert.equal(printable('orders\x1b[2K\rshipped'), 'orders\\u001b[2K\\rshipped');
    assert.equal(printable('two\nlines\tand a tab'), 'two\\nlines\\tand a tab');
    assert.equal(printable('audit\u009b31m'), 'audit\\u009b31m');
    assert.equal(printable('invoice\u202egpj.exe'), 'invoice\\u202egpj.exe');
    assert.equal(printable('Bestellungen_Zürich "quoted" ✓ 表'), 'Bestellungen_Zürich "quoted" ✓ 表');
    assert.equal(RAW_CONTROL.exec(printable(ALL_CONTROLS)), null);
    assert.equal(printableName('sales\x07', 'orders'), 'sales\\u0007.orders');
  });

  it('shows a character that shows nothing as an escape: zw<U+200B>users does not pass for zwusers', () => {
    assert.equal(printable('zw\u200Busers'), 'zw\\u200busers');
    assert.equal(printableName('public', 'zw\u200Busers'), 'public.zw\\u200busers');
    for (const code of [0x00ad, 0x061c, 0x200b, 0x200e, 0x200f, 0x2028, 0x2029, 0x2060, 0x2061, 0x2064, 0xfeff]) {
      const escaped = `a\\u${code.toString(16).padStart(4, '0')}b`;
      const name = `a${String.fromCharCode(code)}b`;
      assert.equal(printable(name), escaped, escaped);
      assert.equal(printableLines(name), escaped, escaped);
      assert.equal(escapeHtml(name), escaped, escaped);
      assert.equal(escapeMarkdown(name), escaped.replace('\\', '\\\\'), escaped);
      assert.equal(markdownCode(name), `\`${escaped}\``, escaped);
    }
  });

  it('keeps the zero-width non-joiner and joiner, which Persian, the Indic scripts and emoji need', () => {
    for (const name of ['پشتیبان\u200cها', 'क्\u200dष', '👩\u200d💻']) {
      assert.equal(printable(name), name);
      assert.equal(escapeHtml(name), name);
    }
  });

  it('keeps the line breaks and tabs of text of several lines', () => {
    assert.equal(printableLines('line one\n\tline two\x1b]0;title\x07\r\n'), 'line one\n\tline two\\u001b]0;title\\u0007\\r\n');
    const kept = printableLines(ALL_CONTROLS);
    assert.ok(kept.includes('\n') && kept.includes('\t'));
    assert.equal(RAW_CONTROL.exec(kept.replace(/[\n\t]/g, '')), null);
  });

  it('leaves a JSON document valid and meaning the same', () => {
    const value = { names: [ALL_CONTROLS, 'orders\x1b[2K\rshipped', 'back\\slash \\u001b'], nested: { 'key\u009b': 1 } };
    const text = printableLines(JSON.stringify(value, null, 2));
    assert.equal(RAW_CONTROL.exec(text.replace(/\n/g, '')), null);
    assert.deepEqual(JSON.parse(text), value);
  });

  it('is applied where names go into HTML and Markdown', () => {
    assert.equal(escapeHtml('<b>\x1b[31m</b>'), '&lt;b&gt;\\u001b[31m&lt;/b&gt;');
    assert.equal(escapeHtml('two\nlines'), 'two\nlines', 'HTML lays out its own line breaks');
    for (const shown of [escapeMarkdown('a\x1b[2Kb'), markdownCode('a\x1b[2Kb'), markdownFence('pg_dump: warning \x1b]0;x\x07', 'text')]) {
      assert.equal(RAW_CONTROL.exec(shown.replace(/\n/g, '')), null, shown);
      assert.ok(shown.includes('u001b'), shown);
    }
  });
});

describe("the CLI's standard streams", () => {
  function capture() {
    const chunks: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        chunks.push(chunk.toString('utf8'));
        done();
      },
    }) as Writable & { columns?: number };
    stream.columns = 77;
    return { stream, chunks };
  }

  it('write text printable, pass bytes and the stream underneath through', () => {
    const { stream, chunks } = capture();
    const wrapped = printableStream(stream as unknown as NodeJS.WriteStream);
    wrapped.write('public.orders\x1b[2K\rshipped  2 rows\n');
    wrapped.write(Buffer.from('bytes\x1b'));
    rawStream(wrapped).write('\r\x1b[2K');
    assert.deepEqual(chunks, ['public.orders\\u001b[2K\\rshipped  2 rows\n', 'bytes\x1b', '\r\x1b[2K']);
    assert.equal(wrapped.columns, 77);
    assert.equal(rawStream(stream), stream, 'a stream that is not wrapped is its own');
  });
});

describe('the task terminal', () => {
  it('shows a line printable, with its own colour and line ends around it', () => {
    assert.equal(terminalLine('public.orders\x1b[2K\rshipped\r\nnext'), 'public.orders\\u001b[2K\\rshipped\r\nnext\r\n');
    assert.equal(terminalLine('Done.', 'green'), '\x1b[32mDone.\x1b[0m\r\n');
    assert.equal(terminalLine('failed: \x1b[0m', 'red'), '\x1b[31mfailed: \\u001b[0m\x1b[0m\r\n');
  });

  it('redraws the live line on one line whatever the text holds', () => {
    assert.equal(terminalLiveLine('public.two\nlines\x1b]0;t\x07'), `${CLEAR_LINE}public.two lines\\u001b]0;t\\u0007`);
  });
});
