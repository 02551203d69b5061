import fs from 'node:fs';
import path from 'node:path';
import { Company, type CompanyState } from './company';
import type { OAuthServer, OAuthState } from './oauth';

export interface SavedState {
  version: 1;
  clockOffsetMs: number;
  companies: CompanyState[];
  oauth: OAuthState;
}

/** Writes the whole state as JSON, atomically (write then rename), so a crash never leaves half a file. */
export function saveState(file: string, companies: Iterable<Company>, oauth: OAuthServer, clockOffsetMs: number): void {
  const state: SavedState = {
    version: 1,
    clockOffsetMs,
    companies: [...companies].map((c) => c.snapshot()),
    oauth: oauth.snapshot(),
  };
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(state));
  fs.renameSync(`${file}.tmp`, file);
}

export function loadState(file: string): SavedState | undefined {
  if (!fs.existsSync(file)) return undefined;
  const state = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<SavedState>;
  return {
    version: 1,
    clockOffsetMs: state.clockOffsetMs ?? 0,
    companies: state.companies ?? [],
    oauth: state.oauth ?? { apps: [], grants: [], refreshTokens: [], accessTokens: [] },
  };
}
