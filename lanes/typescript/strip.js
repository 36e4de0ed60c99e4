// capsa's TypeScript lane: strips the types of /work/<name> with the real
// tsc's transpileModule and writes /work/out.js; tsc's syntax diagnostics
// go to stderr with exit 1. Runs as `qjs -m strip.js NAME` with typescript
// mounted read-only at /usr/lib/capsa/typescript.
import * as std from 'qjs:std';

const name = scriptArgs[1];
const source = std.loadFile(`/work/${name}`);
if (source === null) {
  std.err.puts(`${name}: cannot read the source\n`);
  std.exit(1);
}
const module = { exports: {} };
new Function('module', 'exports', std.loadFile('/usr/lib/capsa/typescript/lib/typescript.js'))(module, module.exports);
const ts = module.exports;
const result = ts.transpileModule(source, {
  fileName: name,
  reportDiagnostics: true,
  compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, sourceMap: false },
});
const errors = (result.diagnostics ?? []).filter((d) => d.category === ts.DiagnosticCategory.Error);
if (errors.length) {
  for (const d of errors) {
    const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    if (d.file && d.start !== undefined) {
      const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
      std.err.puts(`${name}(${line + 1},${character + 1}): error TS${d.code}: ${text}\n`);
    } else {
      std.err.puts(`${name}: error TS${d.code}: ${text}\n`);
    }
  }
  std.exit(1);
}
const out = std.open('/work/out.js', 'w');
out.puts(result.outputText);
out.close();
