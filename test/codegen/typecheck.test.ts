// Compiles the type-level tests in test/types/ (and generated/) with the project's TypeScript
// (node_modules/.bin/tsc, TypeScript 7) using test/types/tsconfig.json.
// 1. As written: correct calls compile, every `@ts-expect-error` is used (else TS2578).
// 2. With the directives removed: each of those lines fails with exactly the TS code written in
//    its directive, and nothing else fails, so no line passes by failing for an unrelated reason.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..', '..');
const TYPES = join(ROOT, 'test', 'types');
const TSC = join(ROOT, 'node_modules', '.bin', 'tsc');

function tsc(project: string): { status: number | null; output: string } {
  const r = spawnSync(TSC, ['--noEmit', '--pretty', 'false', '-p', project], { cwd: ROOT, encoding: 'utf8' });
  if (r.error) throw r.error;
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

const DIRECTIVE = /^(\s*)\/\/ @ts-expect-error (TS\d{4})\b.*$/;

describe('type-level tests (tsc --noEmit)', () => {
  it('docs/typed-clients.md shows exactly the compiled snippets', () => {
    const doc = readFileSync(join(ROOT, 'docs', 'typed-clients.md'), 'utf8');
    const blocks = [...doc.matchAll(/<!-- snippet: (\S+) -->\n```ts\n([\s\S]*?)```/g)];
    expect(blocks.map((b) => b[1])).toEqual(['test/types/snippet-frontend.ts', 'test/types/snippet-server.ts']);
    for (const [, file, code] of blocks) {
      const source = readFileSync(join(ROOT, file!), 'utf8');
      const marker = '// --- snippet ---\n';
      expect(source).toContain(marker);
      const compiled = source.slice(source.indexOf(marker) + marker.length).replaceAll("'../../generated/", "'./generated/");
      expect(code, `${file} and its block in docs/typed-clients.md differ`).toBe(compiled);
    }
  });

  it('test/types compiles, with every @ts-expect-error used', () => {
    const r = tsc(join(TYPES, 'tsconfig.json'));
    expect(r.output, r.output).toBe('');
    expect(r.status).toBe(0);
  });

  it('each @ts-expect-error line fails with the code its directive names, and nothing else fails', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lotline-typecheck-'));
    try {
      symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
      writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n'); // ESM, like the project
      const expected = new Map<string, string>(); // "file:line" → code
      const files = readdirSync(TYPES).filter((f) => f.endsWith('.ts'));
      for (const f of files) {
        const lines = readFileSync(join(TYPES, f), 'utf8').split('\n');
        const out = lines.map((line, i) => {
          const m = DIRECTIVE.exec(line);
          if (!m) return line;
          expected.set(`${f}:${i + 2}`, m[2]!);
          return `${m[1]}//`;
        });
        expect(lines.some((l) => /^\s*\/\/ @ts-expect-error/.test(l) && !DIRECTIVE.test(l)), `${f}: a @ts-expect-error without a TS code`).toBe(false);
        writeFileSync(join(dir, f), out.join('\n').replaceAll("'../../generated/", `'${ROOT}/generated/`));
      }
      writeFileSync(
        join(dir, 'tsconfig.json'),
        JSON.stringify({ extends: join(ROOT, 'tsconfig.json'), compilerOptions: { noEmit: true }, include: ['./*.ts'] }),
      );
      expect(expected.size).toBeGreaterThanOrEqual(15);
      const r = tsc(join(dir, 'tsconfig.json'));
      const errors = new Map<string, Set<string>>();
      const stray: string[] = [];
      for (const line of r.output.split('\n')) {
        const m = /([^/\\(]+\.ts)\((\d+),\d+\): error (TS\d+)/.exec(line);
        if (!m) continue;
        const key = `${m[1]}:${m[2]}`;
        if (!expected.has(key)) stray.push(line);
        const set = errors.get(key) ?? new Set<string>();
        set.add(m[3]!);
        errors.set(key, set);
      }
      expect(stray, 'errors on lines without a directive').toEqual([]);
      const wrong = [...expected].filter(([key, code]) => !errors.get(key)?.has(code))
        .map(([key, code]) => `${key}: expected ${code}, got ${[...(errors.get(key) ?? [])].join(', ') || 'no error'}`);
      expect(wrong).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
