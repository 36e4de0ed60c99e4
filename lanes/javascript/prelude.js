// capsa's JavaScript lane: the globals every program gets besides
// QuickJS-ng's own (print, scriptArgs) — std and os, process, console.log
// and console.error, TextEncoder/TextDecoder and a small file API over WASI.
import * as std from 'qjs:std';
import * as os from 'qjs:os';

const g = globalThis;
g.std = std;
g.os = os;

const show = (value) => {
  if (typeof value === 'string') return value;
  if (value instanceof Error) return value.stack ? `${value}\n${value.stack}`.trimEnd() : String(value);
  try {
    const json = JSON.stringify(value);
    return json === undefined ? String(value) : json;
  } catch {
    return String(value);
  }
};
const put = (file, text) => {
  file.puts(text);
  file.flush();
};
g.console.error = g.console.warn = (...args) => put(std.err, args.map(show).join(' ') + '\n');
g.console.log = g.console.info = g.console.debug = (...args) => std.out.puts(args.map(show).join(' ') + '\n');

class TextEncoder {
  get encoding() { return 'utf-8'; }
  encode(input = '') {
    const out = [];
    for (const ch of String(input)) {
      let c = ch.codePointAt(0);
      if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd; // a lone surrogate
      if (c < 0x80) out.push(c);
      else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
      else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
      else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    }
    return new Uint8Array(out);
  }
}

class TextDecoder {
  constructor(label = 'utf-8', options = {}) {
    if (!/^utf-?8$/i.test(String(label))) throw new RangeError(`TextDecoder: unsupported encoding ${label}`);
    this.fatal = !!options.fatal;
  }
  get encoding() { return 'utf-8'; }
  decode(input) {
    if (input === undefined) return '';
    const u = ArrayBuffer.isView(input)
      ? new Uint8Array(input.buffer, input.byteOffset, input.byteLength)
      : new Uint8Array(input);
    const parts = [];
    let points = [];
    const bad = () => {
      if (this.fatal) throw new TypeError('TextDecoder: invalid UTF-8');
      points.push(0xfffd);
    };
    let i = 0;
    if (u[0] === 0xef && u[1] === 0xbb && u[2] === 0xbf) i = 3; // BOM
    while (i < u.length) {
      const c = u[i];
      const n = c < 0x80 ? 0 : c >= 0xc2 && c < 0xe0 ? 1 : c >= 0xe0 && c < 0xf0 ? 2 : c >= 0xf0 && c < 0xf5 ? 3 : -1;
      if (n < 0) { bad(); i += 1; continue; }
      let cp = n === 0 ? c : c & (0x3f >> n);
      let j = 1;
      while (j <= n && i + j < u.length && (u[i + j] & 0xc0) === 0x80) cp = (cp << 6) | (u[i + j++] & 63);
      const short = j <= n;
      const overlong = (n === 2 && cp < 0x800) || (n === 3 && cp < 0x10000);
      if (short || overlong || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) bad();
      else points.push(cp);
      i += j;
      if (points.length >= 8192) { parts.push(String.fromCodePoint(...points)); points = []; }
    }
    parts.push(String.fromCodePoint(...points));
    return parts.join('');
  }
}
g.TextEncoder = TextEncoder;
g.TextDecoder = TextDecoder;

const open = (path, mode) => {
  const error = {};
  const file = std.open(String(path), mode, error);
  if (!file) throw new Error(`${path}: ${std.strerror(error.errno)}`);
  return file;
};
const bytesOf = (data) =>
  typeof data === 'string' ? new TextEncoder().encode(data)
    : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
      : new Uint8Array(data);
const writeTo = (file, data) => {
  const u = bytesOf(data);
  if (u.length && file.write(u.buffer, u.byteOffset, u.length) !== u.length) throw new Error('short write');
  file.flush();
};
/** The whole of stdin, decoded as UTF-8. */
g.readStdin = () => std.in.readAsString();
/** A file's text (UTF-8), or its bytes with `readFile(path, 'binary')`. */
g.readFile = (path, encoding = 'utf8') => {
  if (path === 0 || path === '/dev/stdin') return std.in.readAsString();
  const file = open(path, 'rb');
  try {
    if (encoding !== 'binary') return file.readAsString();
    const chunks = [];
    const chunk = new Uint8Array(65536);
    for (let n; (n = file.read(chunk.buffer, 0, chunk.length)) > 0;) chunks.push(chunk.slice(0, n));
    const out = new Uint8Array(chunks.reduce((sum, c) => sum + c.length, 0));
    chunks.reduce((at, c) => (out.set(c, at), at + c.length), 0);
    return out;
  } finally {
    file.close();
  }
};
/** Writes a string (as UTF-8) or bytes to a file, replacing it. */
g.writeFile = (path, data) => {
  const file = open(path, 'wb');
  try { writeTo(file, data); } finally { file.close(); }
};
/** Appends a string or bytes to a file. */
g.appendFile = (path, data) => {
  const file = open(path, 'ab');
  try { writeTo(file, data); } finally { file.close(); }
};

const stream = (file) => ({ write: (data) => (writeTo(file, data), true) });
g.process = {
  argv: ['qjs', ...g.scriptArgs],
  env: std.getenviron(),
  platform: 'wasi',
  exitCode: undefined,
  stdout: stream(std.out),
  stderr: stream(std.err),
  exit(code = g.process.exitCode ?? 0) {
    std.out.flush();
    std.err.flush();
    std.exit(Number(code) | 0);
  },
};
