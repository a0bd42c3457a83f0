/**
 * Gives consumed bytes of the span log back to the filesystem with
 * `fallocate --punch-hole` (util-linux): the file keeps its size and offsets,
 * so NGINX (O_APPEND) and our reader are unaffected, but the blocks are freed.
 * Filesystems without hole punching (or a missing fallocate binary) are
 * logged once and reclaiming is switched off.
 */
import { execFile } from 'node:child_process';
import type { Logger } from '../observe/logger.js';

/** Resolves false when punching is unsupported here and should not be tried again. */
export function punchHole(path: string, length: number, logger: Logger): Promise<boolean> {
  return new Promise((resolve) => {
    execFile(
      'fallocate',
      ['--punch-hole', '--offset', '0', '--length', String(length), path],
      { timeout: 10_000 },
      (error, _stdout, stderr) => {
        if (!error) {
          logger.debug({ path, length }, 'reclaimed consumed span log bytes');
          return resolve(true);
        }
        logger.warn(
          { path, err: error.message, stderr: String(stderr).trim() },
          'cannot punch holes in the span log (fallocate missing or unsupported); the file will grow until rotated',
        );
        resolve(false);
      },
    );
  });
}
