/**
 * Run bundled code in the real njs command-line interpreter (njs 0.7.9 on the
 * host), to check that what passes in Node behaves the same in njs.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const NJS = process.env.NJS_BIN ?? '/usr/bin/njs';

/**
 * Writes `bundle` as module.js and runs `driver` (which does
 * `import m from 'module.js'`) in njs; returns stdout lines. njs 0.7.9 cuts
 * console.log lines at 2048 bytes: print one short JSON line per case.
 */
export function runInNjs(bundle: string, driver: string): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'njs-cli-'));
  writeFileSync(join(dir, 'module.js'), bundle);
  writeFileSync(join(dir, 'driver.js'), driver);
  const stdout = execFileSync(NJS, ['-q', '-p', dir, join(dir, 'driver.js')], { encoding: 'utf8', timeout: 20_000 });
  return stdout.trim().split('\n');
}
