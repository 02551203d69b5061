import type { Command } from 'commander';
import { addOperator, disableOperator, listOperators, MIN_PASSWORD, OperatorError } from '../../server/session';
import { readSecret } from '../secretInput';
import { withDatabase } from './tenant';

/** The password typed twice without echo at a terminal, or the first line of stdin (scripts). */
async function readOperatorPassword(name: string): Promise<string> {
  if (!process.stdin.isTTY) return (await readSecret('')).split(/\r?\n/)[0] ?? '';
  const first = await readSecret(`password for ${name} (at least ${MIN_PASSWORD} characters, not echoed): `);
  const again = await readSecret('again: ');
  if (first !== again) throw new OperatorError('the two passwords differ');
  return first;
}

export function registerUser(program: Command): void {
  const user = program.command('user').description("the console's users (operators who sign in at /console/)");

  user
    .command('add <name>')
    .description('add a console user, or set the password of an existing one (ends their sessions)')
    .action(async (name: string) => {
      const password = await readOperatorPassword(name);
      await withDatabase((db) => addOperator(db, name, password));
      console.log(`user ${name} can sign in to the console (qbsync serve or npm start prints its URL)`);
    });

  user
    .command('list')
    .description('list console users')
    .action(async () => {
      const rows = await withDatabase((db) => listOperators(db));
      if (rows.length === 0) console.log('no console users yet: add one with `qbsync user add <name>`');
      for (const r of rows)
        console.log(
          `${r.name}\tlast sign-in ${r.last_login_at?.toISOString() ?? 'never'}${r.disabled_at ? '\tdisabled' : ''}`,
        );
    });

  user
    .command('disable <name>')
    .description('stop a console user from signing in, and end their sessions (`user add` enables them again)')
    .action(async (name: string) => {
      await withDatabase((db) => disableOperator(db, name));
      console.log(`user ${name} is disabled`);
    });
}
