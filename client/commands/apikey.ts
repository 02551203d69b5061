import type { Command } from 'commander';
import { ApiKeyError, createApiKey, listApiKeys, revokeApiKey } from '../../server/apiKeys';
import { StartupError } from '../context';
import { withDatabase } from './tenant';

export function registerApiKey(program: Command): void {
  const apikey = program.command('apikey').description('API keys of the apps that use the REST API');

  apikey
    .command('create <name>')
    .description('a new key; prints it once (only its hash is stored)')
    .requiredOption('--tenant <tenant...>', 'tenant(s) the key may act on; "*" for all (and to add tenants)')
    .action(async (name: string, opts: { tenant: string[] }) => {
      try {
        const { key, apiKey } = await withDatabase((db) => createApiKey(db, { name, tenants: opts.tenant }));
        console.log(`API key ${apiKey.id} (${name}) for ${apiKey.tenants.join(', ')}; shown this once:`);
        console.log(key);
      } catch (error) {
        if (error instanceof ApiKeyError) throw new StartupError(error.message);
        throw error;
      }
    });

  apikey
    .command('list')
    .description('keys: id, name, tenants, created, last used, revoked')
    .action(async () => {
      for (const k of await withDatabase((db) => listApiKeys(db)))
        console.log(
          `${k.id}\t${k.name}\t${k.tenants.join(',')}\tcreated ${k.createdAt}\tlast used ${k.lastUsedAt ?? '-'}${k.revokedAt ? `\tREVOKED ${k.revokedAt}` : ''}`,
        );
    });

  apikey
    .command('revoke <id>')
    .description('revoke a key: every request with it is refused from now on')
    .action(async (id: string) => {
      try {
        const k = await withDatabase((db) => revokeApiKey(db, id));
        console.log(`API key ${k.id} (${k.name}) revoked at ${k.revokedAt}`);
      } catch (error) {
        if (error instanceof ApiKeyError) throw new StartupError(error.message);
        throw error;
      }
    });
}
