import { readFile } from 'node:fs/promises';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('..', import.meta.url).pathname;

/** The README's "Use from TypeScript" example, exactly as a reader copies it. */
async function readmeExample(): Promise<string> {
  const readme = await readFile(`${ROOT}README.md`, 'utf8');
  const section = readme.slice(readme.indexOf('## Use from TypeScript'));
  const m = /```ts\n([\s\S]*?)```/.exec(section);
  if (!m) throw new Error('README: no ts block under "Use from TypeScript"');
  return m[1];
}

describe('the README’s TypeScript example', () => {
  it('type-checks against @roster/client as generated from the served document', async () => {
    const file = `${ROOT}client/readme-example.ts`;
    const source = await readmeExample();
    const options: ts.CompilerOptions = {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      allowImportingTsExtensions: true,
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      types: ['node'],
      paths: { '@roster/client': [`${ROOT}client/src/index.ts`] },
    };
    const host = ts.createCompilerHost(options);
    const read = host.readFile.bind(host);
    host.readFile = (f) => (f === file ? source : read(f));
    const exists = host.fileExists.bind(host);
    host.fileExists = (f) => f === file || exists(f);
    // A module (top-level await): the example is a file of its own.
    const program = ts.createProgram([file], options, host);
    const errors = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    expect(errors).toEqual([]);
  }, 120_000);
});
