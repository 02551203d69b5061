import { createCustomer } from './fixtures';
import { contract, unique } from './target';

contract('query language', ({ target, emulatorOnly }) => {
  emulatorOnly(
    'pages through 2,500 customers with STARTPOSITION/MAXRESULTS (ORDERBY Id), and counts them',
    async () => {
      const realm = await target().realm();
      const started = Date.now();
      await target().admin!.seed(realm.realmId, { kind: 'bulk', customers: 2500 });
      expect(Date.now() - started).toBeLessThan(2000);
      const seen: string[] = [];
      for (let start = 1; ; start += 1000) {
        const page = await realm.query(`SELECT * FROM Customer ORDERBY Id STARTPOSITION ${start} MAXRESULTS 1000`);
        expect(page.status).toBe(200);
        const customers = page.json.QueryResponse.Customer ?? [];
        if (customers.length === 0) {
          expect(page.json.QueryResponse).toEqual({});
          break;
        }
        expect(page.json.QueryResponse.startPosition).toBe(start);
        expect(page.json.QueryResponse.maxResults).toBe(customers.length);
        seen.push(...customers.map((c: { Id: string }) => c.Id));
      }
      expect(seen).toHaveLength(2500);
      expect(new Set(seen).size).toBe(2500);
      expect(seen.map(Number)).toEqual([...seen.map(Number)].sort((a, b) => a - b));
      const count = await realm.query('select count(*) from Customer');
      expect(count.json.QueryResponse).toEqual({ totalCount: 2500 });
      expect(typeof count.json.time).toBe('string');
    },
  );

  it("finds O'Brien with a backslash-escaped quote; an unescaped quote is a 4000 QueryParserError", async () => {
    const realm = await target().realm();
    const name = unique("Pat O'Brien");
    const created = await createCustomer(realm, name);
    const escaped = name.replace(/'/g, "\\'");
    const found = await realm.query(`select * from Customer where DisplayName = '${escaped}'`);
    expect(found.status).toBe(200);
    expect(found.json.QueryResponse.Customer.map((c: { Id: string }) => c.Id)).toEqual([created.Id]);
    const bad = await realm.query(`select * from Customer where DisplayName = '${name}'`);
    expect(bad.status).toBe(400);
    expect(bad.json.Fault.Error[0].code).toBe('4000');
    expect(bad.json.Fault.Error[0].Detail).toContain('QueryParserError');
  });

  it('supports =, <, >, <=, >=, IN, LIKE with %, ORDERBY DESC, nested MetaData fields, and POST application/text', async () => {
    const realm = await target().realm();
    const tag = unique('Q').replace(' ', '');
    const a = await createCustomer(realm, `${tag} Alpha`);
    const b = await createCustomer(realm, `${tag} Beta`);
    const c = await createCustomer(realm, `${tag} Gamma`);
    const ids = (r: { json: { QueryResponse: { Customer?: Array<{ Id: string }> } } }) =>
      (r.json.QueryResponse.Customer ?? []).map((x) => x.Id);
    expect(
      ids(await realm.query(`select * from Customer where DisplayName LIKE '${tag}%' ORDERBY DisplayName DESC`)),
    ).toEqual([c.Id, b.Id, a.Id]);
    expect(ids(await realm.query(`select * from Customer where DisplayName LIKE '%${tag} B%'`))).toEqual([b.Id]);
    expect(ids(await realm.query(`select * from Customer where Id IN ('${a.Id}', '${c.Id}') ORDERBY Id`))).toEqual([
      a.Id,
      c.Id,
    ]);
    expect(
      ids(
        await realm.query(
          `select * from Customer where DisplayName LIKE '${tag}%' AND DisplayName > '${tag} Alpha' AND DisplayName <= '${tag} Beta'`,
        ),
      ),
    ).toEqual([b.Id]);
    expect(
      ids(
        await realm.query(
          `select * from Customer where DisplayName LIKE '${tag}%' AND DisplayName >= '${tag} Beta' AND DisplayName < '${tag} Zeta' ORDERBY DisplayName`,
        ),
      ),
    ).toEqual([b.Id, c.Id]);
    const since = a.MetaData as { LastUpdatedTime: string };
    const recent = await realm.query(
      `select * from Customer where MetaData.LastUpdatedTime >= '${since.LastUpdatedTime}' AND DisplayName LIKE '${tag}%'`,
    );
    expect(ids(recent).sort()).toEqual([a.Id, b.Id, c.Id].sort());
    const posted = await realm.query(`select * from Customer where DisplayName = '${tag} Gamma'`, 'POST');
    expect(posted.status).toBe(200);
    expect(ids(posted)).toEqual([c.Id]);
    const none = await realm.query(`select * from Customer where DisplayName = '${tag} Nobody'`);
    expect(none.json.QueryResponse).toEqual({});
  });

  it('rejects MAXRESULTS over 1000 and STARTPOSITION below 1 (QueryValidationError), and parse errors with 4000', async () => {
    const realm = await target().realm();
    for (const q of ['select * from Customer MAXRESULTS 1001', 'select * from Customer STARTPOSITION 0']) {
      const r = await realm.query(q);
      expect(r.status).toBe(400);
      expect(r.json.Fault.Error[0].Detail).toMatch(/QueryValidationError/);
    }
    for (const q of [
      'select Id, DisplayName from Customer',
      'select * from Customer where DisplayName = ’x’',
      'select * Customer',
    ]) {
      const r = await realm.query(q);
      expect(r.status).toBe(400);
      expect(r.json.Fault.Error[0].code).toBe('4000');
    }
  });

  it('hides inactive customers unless the query filters on Active', async () => {
    const realm = await target().realm();
    const customer = await createCustomer(realm);
    await realm.call('POST', 'customer', {
      Id: customer.Id,
      SyncToken: customer.SyncToken,
      sparse: true,
      Active: false,
    });
    const plain = await realm.query(`select * from Customer where Id = '${customer.Id}'`);
    expect(plain.json.QueryResponse).toEqual({});
    const inactive = await realm.query(`select * from Customer where Active = false AND Id = '${customer.Id}'`);
    expect(inactive.json.QueryResponse.Customer[0].Active).toBe(false);
  });
});
