// capsa's TypeScript lane: type-checks /work/<name>… with the real tsc's
// checker (strict, ES2022, no DOM; capsa's JavaScript globals from
// capsa-globals.d.ts) and prints tsc's diagnostics to stderr, exit 1 when
// there are errors. Runs as `qjs -m check.js NAME…` with typescript mounted
// read-only at /usr/lib/capsa/typescript; reads nothing else.
import * as std from 'qjs:std';

const LIB = '/usr/lib/capsa/typescript/lib';
const names = scriptArgs.slice(1);
const module = { exports: {} };
new Function('module', 'exports', std.loadFile(`${LIB}/typescript.js`))(module, module.exports);
const ts = module.exports;

const read = (file) => std.loadFile(file) ?? undefined;
const options = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  strict: true,
  noEmit: true,
  lib: ['lib.es2022.d.ts'],
  types: [],
};
const host = {
  getSourceFile: (file, version) => {
    const text = read(file);
    return text === undefined ? undefined : ts.createSourceFile(file, text, version);
  },
  getDefaultLibFileName: () => `${LIB}/lib.es2022.d.ts`,
  getDefaultLibLocation: () => LIB,
  writeFile: () => {},
  getCurrentDirectory: () => '/work',
  getDirectories: () => [],
  fileExists: (file) => read(file) !== undefined,
  readFile: read,
  getCanonicalFileName: (file) => file,
  useCaseSensitiveFileNames: () => true,
  getNewLine: () => '\n',
};
const roots = names.map((name) => `/work/${name}`).concat(['/work/capsa-globals.d.ts']);
const diagnostics = ts.getPreEmitDiagnostics(ts.createProgram(roots, options, host));
const kind = (d) => ts.DiagnosticCategory[d.category].toLowerCase();
for (const d of diagnostics) {
  const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
  if (d.file && d.start !== undefined) {
    const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
    const file = d.file.fileName.replace(/^\/work\//, '');
    std.err.puts(`${file}(${line + 1},${character + 1}): ${kind(d)} TS${d.code}: ${text}\n`);
  } else {
    std.err.puts(`${kind(d)} TS${d.code}: ${text}\n`);
  }
}
std.exit(diagnostics.some((d) => d.category === ts.DiagnosticCategory.Error) ? 1 : 0);
