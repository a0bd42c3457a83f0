/**
 * The build enforces the njs 0.7.9 language subset: syntax it cannot lower
 * fails the build, and what it does lower runs in the real njs 0.7.9.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundleNjs } from '../../scripts/njs-bundle.js';

const NJS = process.env.NJS_BIN ?? '/usr/bin/njs';
const dir = mkdtempSync(join(tmpdir(), 'njs-bundle-'));
const bundle = (contents: string) => bundleNjs({ contents, resolveDir: dir });

describe('bundleNjs', () => {
  it.each([
    ['class', 'class A { m() { return 1; } } export default { f: () => new A().m() };'],
    ['forOf', 'function f(a: number[]) { let s = 0; for (const x of a) s += x; return s; } export default { f };'],
    ['destructuring', 'function f(o: { a: number }) { const { a } = o; return a; } export default { f };'],
    ['spreadArgument', 'function f(a: number[]) { return Math.max(...a); } export default { f };'],
    ['restParameter', 'function f(...a: number[]) { return a.length; } export default { f };'],
    ['defaultParameter', 'function f(a = 1) { return a; } export default { f };'],
    ['generator', 'function* g() { yield 1; } export default { g };'],
    ['getter', 'const o = { get x() { return 1; } }; export default { o };'],
    ['map', 'export default { f: () => new Map().size };'],
    ['arrayFrom', 'export default { f: () => Array.from([1]) };'],
    ['bigint', 'export default { f: () => BigInt(1) };'],
    ['lookbehindRegex', 'export default { f: (s: string) => /(?<=a)b/.test(s) };'],
    ['namedGroupRegex', 'export default { f: (s: string) => /(?<x>a)/.exec(s) };'],
  ])('fails the build on %s', async (_name, source) => {
    await expect(bundle(source)).rejects.toThrow();
  });

  it('lowers optional chaining to code njs 0.7.9 runs', async () => {
    const code = await bundle('function f(o: any) { return o?.a?.b ?? "none"; } export default { f };');
    writeFileSync(join(dir, 'lowered.js'), code);
    writeFileSync(
      join(dir, 'driver.js'),
      "import m from 'lowered.js';\nconsole.log(m.f({ a: { b: 'deep' } }) + ' ' + m.f(null));\n",
    );
    const out = execFileSync(NJS, ['-q', '-p', dir, join(dir, 'driver.js')], { encoding: 'utf8' });
    expect(out.trim()).toBe('deep none');
  });

  it('ends the module with the `export default name;` form njs 0.7.9 requires', async () => {
    expect(await bundle('export default { f: () => 1 };')).toMatch(/export default \w+;\n$/);
  });
});
