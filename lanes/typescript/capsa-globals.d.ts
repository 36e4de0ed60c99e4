// What capsa's JavaScript lane gives every program (lanes/javascript/prelude.js),
// declared for `capsa check`.
type Data = string | ArrayBufferView | ArrayBuffer;

interface Console {
  log(...values: unknown[]): void;
  info(...values: unknown[]): void;
  debug(...values: unknown[]): void;
  warn(...values: unknown[]): void;
  error(...values: unknown[]): void;
}
declare const console: Console;

declare class TextEncoder {
  readonly encoding: 'utf-8';
  encode(input?: string): Uint8Array;
}
declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean });
  readonly encoding: 'utf-8';
  readonly fatal: boolean;
  decode(input?: ArrayBufferView | ArrayBuffer): string;
}

/** The whole of stdin, decoded as UTF-8. */
declare function readStdin(): string;
/** A file's text (UTF-8), or its bytes with `'binary'`. */
declare function readFile(path: string | 0, encoding?: 'utf8'): string;
declare function readFile(path: string | 0, encoding: 'binary'): Uint8Array;
/** Writes a string (as UTF-8) or bytes to a file, replacing it. */
declare function writeFile(path: string, data: Data): void;
/** Appends a string or bytes to a file. */
declare function appendFile(path: string, data: Data): void;

declare const scriptArgs: string[];
declare const process: {
  argv: string[];
  env: Record<string, string | undefined>;
  platform: 'wasi';
  exitCode: number | undefined;
  stdout: { write(data: Data): boolean };
  stderr: { write(data: Data): boolean };
  exit(code?: number): never;
};
/** QuickJS's `std` and `os` modules (untyped). */
declare const std: any;
declare const os: any;
