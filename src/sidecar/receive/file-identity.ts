/**
 * Finding the checkpointed file again at start-up, and telling whether it is
 * still the same file: a rotated file keeps its inode but not its name; a
 * file truncated or replaced (another file that got the same inode) must be
 * read from 0 instead of from the checkpoint's offset.
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fingerprintAt, type FilePosition } from './checkpoint.js';

/** Looks for the checkpointed inode next to `path` (spans.log.1, spans.log-20261201, ...). */
export async function findByInode(path: string, position: FilePosition): Promise<string | null> {
  const directory = dirname(path);
  const names = await readdir(directory).catch(() => [] as string[]);
  const prefix = basename(path);
  // The likely names first; any file in the directory may be it.
  names.sort((a, b) => Number(!a.startsWith(prefix)) - Number(!b.startsWith(prefix)));
  for (const name of names) {
    const info = await stat(join(directory, name)).catch(() => null);
    if (info?.isFile() && info.ino === position.ino && info.dev === position.dev) return join(directory, name);
  }
  return null;
}

/** Whether the open file `fd` of `size` bytes is still the one the checkpoint describes. */
export function checkResume(fd: number, size: number, position: FilePosition): 'ok' | 'truncated' | 'replaced' {
  if (size < position.offset) return 'truncated';
  return fingerprintAt(fd, position.offset) === position.fingerprint ? 'ok' : 'replaced';
}
