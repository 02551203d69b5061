import fs from 'node:fs';
import path from 'node:path';

/**
 * `npm start`'s local state (.data/: Temporal's SQLite history, the development encryption key, the emulator's
 * companies, PGlite's files) holds customers' data and secrets: the folder is 0700 and its files 0600, whatever the
 * umask or an older checkout left behind.
 */
export function preparePrivateDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dir, 0o700);
  restrictFiles(dir);
}

/** Makes the files directly in `dir` owner-only (0600); folders in it owner-only too (0700). */
export function restrictFiles(dir: string): void {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    try {
      if (entry.isFile()) fs.chmodSync(file, 0o600);
      else if (entry.isDirectory()) fs.chmodSync(file, 0o700);
    } catch {
      // a file that vanished meanwhile (SQLite's -shm/-wal) has nothing left to protect
    }
  }
}
