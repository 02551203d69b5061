import {
  createDesktopCompany,
  NO_LATENCY,
  parseQwc,
  QwcError,
  runWebConnector,
  type DesktopCompany,
} from '../../emulator/desktop';
import { until } from '../helpers/until';
import { standardScript, startFakeService, type Script } from './fakeService';
import { all, qbxml, responses, text } from './qbxml';

const services: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(services.splice(0).map((s) => s.close()));
});

async function setup(
  script: Script,
  company: DesktopCompany = createDesktopCompany({ seed: 'salesin' }),
  extra: { timeScale?: number; everyMinutes?: number } = {},
) {
  const service = await startFakeService(script);
  services.push(service);
  const connector = runWebConnector({
    url: service.url,
    user: 'qbsync',
    password: 's3cret',
    company,
    latency: NO_LATENCY,
    timeScale: extra.timeScale ?? 1000,
    everyMinutes: extra.everyMinutes,
  });
  return { service, connector, company };
}

const ops = (calls: Array<{ operation: string }>) => calls.map((c) => c.operation);

test('a session calls the eight operations in QBWC’s order, with SOAP 1.1 headers and document/literal bodies', async () => {
  const { service, connector } = await setup(
    standardScript([
      qbxml('<HostQueryRq requestID="1"/>'),
      qbxml('<CustomerQueryRq requestID="2"><MaxReturned>2</MaxReturned></CustomerQueryRq>'),
    ]),
  );
  const t = await connector.runOnce();
  expect(t.outcome).toBe('done');
  expect(ops(service.calls)).toEqual([
    'serverVersion',
    'clientVersion',
    'authenticate',
    'sendRequestXML',
    'receiveResponseXML',
    'sendRequestXML',
    'receiveResponseXML',
    'closeConnection',
  ]);
  for (const call of service.calls) {
    expect(call.soapAction).toBe(`"http://developer.intuit.com/${call.operation}"`);
    expect(call.contentType).toBe('text/xml; charset=utf-8');
    expect(call.body).toMatch(
      /^<\?xml version="1.0" encoding="utf-8"\?><soap:Envelope xmlns:soap="http:\/\/schemas.xmlsoap.org\/soap\/envelope\/"/,
    );
  }
  expect(service.calls[2].args).toEqual({ strUserName: 'qbsync', strPassword: 's3cret' });
  const [firstSend, , secondSend] = service.calls.slice(3);
  expect(firstSend.args.ticket).toBe('ticket-1');
  expect(firstSend.args.strHCPResponse).toContain('<HostQueryRs');
  expect(firstSend.args.strHCPResponse).toContain('<CompanyQueryRs');
  expect(firstSend.args.strHCPResponse).toContain('<PreferencesQueryRs');
  expect(firstSend.args).toMatchObject({ qbXMLCountry: 'US', qbXMLMajorVers: '13', qbXMLMinorVers: '0' });
  expect(firstSend.args.strCompanyFileName).toMatch(/\.qbw$/i);
  expect(secondSend.args.strHCPResponse).toBe('');
  const secondResponse = service.calls[6].args.response;
  expect(all(responses(secondResponse)[0], 'CustomerRet')).toHaveLength(2);
  expect(service.calls[6].args.hresult).toBe('');
  expect(t.shown).toEqual(['Sync complete']);
  expect(t.documents).toBe(2);
});

test('Reckon reports AU and qbXML 6.1', async () => {
  const { service, connector } = await setup(
    standardScript([qbxml('<HostQueryRq/>', { version: '6.1' })]),
    createDesktopCompany({ seed: 'reckon' }),
  );
  await connector.runOnce();
  const send = service.calls.find((c) => c.operation === 'sendRequestXML')!;
  expect(send.args).toMatchObject({ qbXMLCountry: 'AU', qbXMLMajorVers: '6', qbXMLMinorVers: '1' });
  const response = service.calls.find((c) => c.operation === 'receiveResponseXML')!.args.response;
  expect(text(responses(response)[0], 'HostRet', 'Country')).toBe('AU');
});

test.each([
  ['nvu', ['', 'nvu'], 'nvu'],
  ['none', ['t', 'none'], 'none'],
  ['busy', ['t', 'busy', '30'], 'busy'],
])('authenticate "%s" ends the session without requests', async (_name, answer, outcome) => {
  const { service, connector } = await setup(standardScript([qbxml('<HostQueryRq/>')], { authenticate: () => answer }));
  const t = await connector.runOnce();
  expect(t.outcome).toBe(outcome);
  expect(ops(service.calls)).toEqual(['serverVersion', 'clientVersion', 'authenticate']);
  if (outcome === 'busy') expect(t.postponeSeconds).toBe(30);
});

test('authenticate with the open company file path proceeds; another path gets connectionError', async () => {
  const company = createDesktopCompany({ seed: 'salesin' });
  const open = company.data.info.filePath;
  const same = await setup(
    standardScript([qbxml('<HostQueryRq/>')], { authenticate: () => ['t', open, '0', '60'] }),
    company,
  );
  const t = await same.connector.runOnce();
  expect(t.outcome).toBe('done');
  expect(t.minRunEverySeconds).toBe(60);
  const other = await setup(
    standardScript([qbxml('<HostQueryRq/>')], { authenticate: () => ['t', 'C:\\Other.qbw'] }),
    company,
  );
  const t2 = await other.connector.runOnce();
  expect(t2.outcome).toBe('connectionError');
  const ce = other.service.calls.find((c) => c.operation === 'connectionError')!;
  expect(ce.args.hresult).toBe('0x80040417');
  expect(ops(other.service.calls).slice(-2)).toEqual(['connectionError', 'closeConnection']);
});

test.each([
  ['qbNotRunning', '0x80040408'],
  ['companyClosed', '0x80040416'],
  ['accessDenied', '0x80040420'],
] as const)('fault %s: QBWC calls connectionError (hresult %s) and no requests are sent', async (kind, hresult) => {
  const company = createDesktopCompany({ seed: 'salesin' });
  company.faults.add({ kind, count: 1 });
  const { service, connector } = await setup(standardScript([qbxml('<HostQueryRq/>')]), company);
  const t = await connector.runOnce();
  expect(t.outcome).toBe('connectionError');
  expect(service.calls.find((c) => c.operation === 'connectionError')!.args.hresult).toBe(hresult);
  expect(ops(service.calls)).not.toContain('sendRequestXML');
  // the fault is used up: the next run goes through
  expect((await connector.runOnce()).outcome).toBe('done');
});

test('connectionError answered with a company path: QBWC tries that file', async () => {
  const company = createDesktopCompany({ seed: 'salesin' });
  company.faults.add({ kind: 'companyClosed', count: 1 });
  const { service, connector } = await setup(
    standardScript([qbxml('<HostQueryRq/>')], { connectionError: () => company.data.info.filePath }),
    company,
  );
  const t = await connector.runOnce();
  expect(t.outcome).toBe('done');
  expect(ops(service.calls)).toContain('sendRequestXML');
});

test('connectionError answered "" tries the open company again; "DONE" after that stops', async () => {
  const company = createDesktopCompany({ seed: 'salesin' });
  company.faults.add({ kind: 'qbNotRunning', count: 1 });
  const retried = await setup(standardScript([qbxml('<HostQueryRq/>')], { connectionError: () => '' }), company);
  expect((await retried.connector.runOnce()).outcome).toBe('done');
  expect(ops(retried.service.calls).filter((o) => o === 'connectionError')).toHaveLength(1);
  company.faults.add({ kind: 'qbNotRunning', count: 2 });
  let errors = 0;
  const stopped = await setup(
    standardScript([qbxml('<HostQueryRq/>')], { connectionError: () => (errors++ === 0 ? '' : 'DONE') }),
    company,
  );
  const t = await stopped.connector.runOnce();
  expect(t.outcome).toBe('connectionError');
  expect(ops(stopped.service.calls).slice(3)).toEqual(['connectionError', 'connectionError', 'closeConnection']);
});

test('sendRequestXML "" → getLastError; its message is shown, then closeConnection', async () => {
  const { service, connector } = await setup(standardScript([], { getLastError: () => 'Nothing to sync right now' }));
  const t = await connector.runOnce();
  expect(ops(service.calls).slice(3)).toEqual(['sendRequestXML', 'getLastError', 'closeConnection']);
  expect(t.shown).toContain('Nothing to sync right now');
  expect(t.outcome).toBe('error');
});

test('getLastError "NoOp" → QBWC waits 5 s (time-scaled) and asks again', async () => {
  let noOps = 0;
  const docs = [qbxml('<HostQueryRq/>')];
  let sent = 0;
  const { service, connector } = await setup(
    standardScript([], {
      sendRequestXML: () => (noOps < 2 ? '' : (docs[sent++] ?? '')),
      getLastError: () => {
        noOps++;
        return 'NoOp';
      },
      receiveResponseXML: () => 100,
    }),
    undefined,
    { timeScale: 100 },
  );
  const started = Date.now();
  const t = await connector.runOnce();
  const elapsed = Date.now() - started;
  expect(ops(service.calls).slice(3)).toEqual([
    'sendRequestXML',
    'getLastError',
    'sendRequestXML',
    'getLastError',
    'sendRequestXML',
    'receiveResponseXML',
    'closeConnection',
  ]);
  expect(t.outcome).toBe('done');
  expect(elapsed).toBeGreaterThanOrEqual(2 * 50 - 5); // two 5 s pauses at 1/100 speed
});

test('receiveResponseXML percent: below 100 asks again, 100 closes, negative → getLastError', async () => {
  const answers = [10, 60, -1];
  const { service, connector } = await setup(
    standardScript([qbxml('<HostQueryRq/>'), qbxml('<HostQueryRq/>'), qbxml('<HostQueryRq/>')], {
      receiveResponseXML: () => answers.shift()!,
      getLastError: () => 'Something went wrong on our side',
    }),
  );
  const t = await connector.runOnce();
  expect(ops(service.calls).slice(3)).toEqual([
    'sendRequestXML',
    'receiveResponseXML',
    'sendRequestXML',
    'receiveResponseXML',
    'sendRequestXML',
    'receiveResponseXML',
    'getLastError',
    'closeConnection',
  ]);
  expect(t.shown).toContain('Something went wrong on our side');
});

test('a SOAP fault or a dead service ends the run with the error shown', async () => {
  const { service, connector } = await setup(standardScript([qbxml('<HostQueryRq/>')]));
  await service.close();
  const t = await connector.runOnce();
  expect(t.outcome).toBe('transportError');
  expect(t.shown[0]).toMatch(/^QBWC1012/);
  expect(ops(t.calls)).toEqual(['serverVersion']);
});

test('a document QuickBooks cannot parse: receiveResponseXML gets an empty response, hresult 0x80040400 and the message', async () => {
  const bad = qbxml('<CustomerQueryRq><ActiveStatus>All</ActiveStatus><MaxReturned>1</MaxReturned></CustomerQueryRq>');
  const { service, connector } = await setup(standardScript([bad]));
  await connector.runOnce();
  const rr = service.calls.find((c) => c.operation === 'receiveResponseXML')!;
  expect(rr.args.response).toBe('');
  expect(rr.args.hresult).toBe('0x80040400');
  expect(rr.args.message).toBe('QuickBooks found an error when parsing the provided XML text stream.');
});

test('clientVersion: "E:" refuses, "O:" asks for a newer QBWC, "W:" warns and goes on', async () => {
  for (const [answer, outcome] of [
    ['E:Please upgrade', 'versionRefused'],
    ['O:2.3.0.300', 'versionRefused'],
    ['W:Old version, continuing', 'done'],
  ] as const) {
    const { service, connector } = await setup(
      standardScript([qbxml('<HostQueryRq/>')], { clientVersion: () => answer }),
    );
    const t = await connector.runOnce();
    expect(t.outcome).toBe(outcome);
    if (outcome === 'versionRefused') expect(ops(service.calls)).toEqual(['serverVersion', 'clientVersion']);
    else expect(t.shown[0]).toBe('Old version, continuing');
  }
});

test('response lost after QuickBooks applied an add: no receiveResponseXML, the sales order exists, error recovery tells', async () => {
  const company = createDesktopCompany({ seed: 'salesin' });
  company.faults.add({ kind: 'responseLost', count: 1, requestType: 'SalesOrderAddRq' });
  const add = `<SalesOrderAddRq><SalesOrderAdd><CustomerRef><FullName>Granite Works</FullName></CustomerRef><SalesOrderLineAdd><ItemRef><FullName>Hardware:Claw Hammer</FullName></ItemRef><Quantity>1</Quantity></SalesOrderLineAdd></SalesOrderAdd></SalesOrderAddRq>`;
  const first = await setup(
    standardScript([qbxml(add, { attrs: 'onError="stopOnError" newMessageSetID="so-1"' })]),
    company,
  );
  const t = await first.connector.runOnce();
  expect(t.outcome).toBe('aborted');
  expect(ops(first.service.calls)).not.toContain('receiveResponseXML');
  expect(company.salesOrders()).toHaveLength(1);
  const second = await setup(
    standardScript([qbxml(add, { attrs: 'onError="stopOnError" oldMessageSetID="so-1" newMessageSetID="so-2"' })]),
    company,
  );
  await second.connector.runOnce();
  const response = second.service.calls.find((c) => c.operation === 'receiveResponseXML')!.args.response;
  expect(text(responses(response)[0], 'ErrorRecovery', 'TxnID')).toBe(company.salesOrders()[0].TxnID);
  expect(company.salesOrders()).toHaveLength(1);
});

test('the session dies mid-iterator: the next session cannot continue it (3120)', async () => {
  const company = createDesktopCompany({ seed: 'salesin' });
  company.faults.add({ kind: 'sessionDies', count: 1, afterRequests: 1 });
  let iteratorID = '';
  const first = await setup(
    standardScript(
      [
        qbxml('<CustomerQueryRq iterator="Start"><MaxReturned>5</MaxReturned></CustomerQueryRq>'),
        qbxml('<HostQueryRq/>'),
      ],
      {
        receiveResponseXML: (args) => {
          iteratorID = /iteratorID="([^"]+)"/.exec(args.response)![1];
          return 50;
        },
      },
    ),
    company,
  );
  const t = await first.connector.runOnce();
  expect(t.outcome).toBe('aborted');
  expect(t.documents).toBe(1);
  const second = await setup(
    standardScript([
      qbxml(
        `<CustomerQueryRq iterator="Continue" iteratorID="${iteratorID}"><MaxReturned>5</MaxReturned></CustomerQueryRq>`,
      ),
    ]),
    company,
  );
  await second.connector.runOnce();
  const response = second.service.calls.find((c) => c.operation === 'receiveResponseXML')!.args.response;
  expect(responses(response)[0].attrs.statusCode).toBe('3120');
});

test('an iterator continues across documents of one session', async () => {
  const company = createDesktopCompany({ seed: 'salesin' });
  let iteratorID = '';
  let remaining = -1;
  const seen: string[] = [];
  const { connector } = await setup(
    standardScript([], {
      sendRequestXML: () =>
        remaining === 0
          ? ''
          : qbxml(
              iteratorID
                ? `<ItemQueryRq iterator="Continue" iteratorID="${iteratorID}"><MaxReturned>4</MaxReturned></ItemQueryRq>`
                : '<ItemQueryRq iterator="Start"><MaxReturned>4</MaxReturned></ItemQueryRq>',
            ),
      receiveResponseXML: (args) => {
        const rs = responses(args.response)[0];
        iteratorID = rs.attrs.iteratorID;
        remaining = Number(rs.attrs.iteratorRemainingCount);
        seen.push(...rs.children.map((r) => text(r, 'ListID')!));
        return remaining === 0 ? 100 : 50;
      },
    }),
    company,
  );
  const t = await connector.runOnce();
  expect(t.outcome).toBe('done');
  expect(seen.sort()).toEqual(
    company
      .items()
      .map((i) => String(i.ListID))
      .sort(),
  );
  expect(t.documents).toBe(Math.ceil(company.items().length / 4));
});

test('QuickBooks takes its time: latency per document and per record, and the slow fault', async () => {
  const company = createDesktopCompany({ seed: 'salesin' });
  const service = await startFakeService(standardScript([qbxml('<HostQueryRq/>'), qbxml('<CustomerQueryRq/>')]));
  services.push(service);
  company.faults.add({ kind: 'slow', count: 1, ms: 3000 });
  const connector = runWebConnector({
    url: service.url,
    user: 'u',
    password: 'p',
    company,
    latency: { baseMs: 200, perRecordMs: 10, perWriteMs: 300 },
    timeScale: 10,
  });
  const started = Date.now();
  await connector.runOnce();
  const elapsed = Date.now() - started;
  const customers = company.customers().filter((c) => c.IsActive === 'true').length;
  // (200 + 3000 slow) + (200 + 10 × customers), at 1/10 speed
  const expected = (3200 + 200 + 10 * customers) / 10;
  expect(elapsed).toBeGreaterThanOrEqual(expected - 10);
  const log = connector.log.list({});
  expect(log.map((e) => e.operation)).toContain('receiveResponseXML');
  expect(log.find((e) => e.operation === 'sendRequestXML' && e.qbxmlRequest)?.qbxmlRequest).toContain('HostQueryRq');
  expect(log.find((e) => e.qbxmlResponse)?.qbxmlResponse).toContain('HostQueryRs');
  expect(log.find((e) => e.operation === 'authenticate')?.args.strPassword).toBe('********');
});

test('the scheduler runs every N minutes (time-scaled) and honours a postpone answer', async () => {
  let runs = 0;
  const { connector } = await setup(
    standardScript([], {
      authenticate: () => {
        runs++;
        return runs === 1 ? ['t', 'none', '120'] : ['t', 'none'];
      },
    }),
    undefined,
    { timeScale: 6000, everyMinutes: 1 },
  );
  const transcripts: number[] = [];
  const started = Date.now();
  connector.options.onRun = (t) => transcripts.push(t.run);
  connector.start();
  await until(
    'three scheduled runs',
    () => transcripts.length,
    (n) => n >= 3,
    { ms: 10_000, everyMs: 5 },
  );
  await connector.stop();
  // run 1 at once, run 2 after the 120 s postpone (20 ms), run 3 after one minute (10 ms)
  expect(Date.now() - started).toBeGreaterThanOrEqual(28);
});

describe('.qwc files', () => {
  const qwc = (over: Record<string, string> = {}) => {
    const f = {
      AppName: 'qbsync',
      AppID: '',
      AppURL: 'https://sync.example.com/qbwc',
      AppDescription: 'SalesIn sync',
      AppSupport: 'https://sync.example.com/support',
      UserName: 'qbsync',
      OwnerID: '{57F3B9B1-86F1-4fcc-B1EE-566DE1813D20}',
      FileID: '{90A44FB5-33D9-4815-AC85-BC87A7E7D1EB}',
      QBType: 'QBFS',
      ...over,
    };
    const fields = Object.entries(f)
      .map(([k, v]) => `<${k}>${v}</${k}>`)
      .join('');
    return `<?xml version="1.0"?><QBWCXML>${fields}<Scheduler><RunEveryNMinutes>5</RunEveryNMinutes></Scheduler><IsReadOnly>false</IsReadOnly></QBWCXML>`;
  };
  test('a valid file is read', () => {
    const parsed = parseQwc(qwc());
    expect(parsed).toMatchObject({
      AppURL: 'https://sync.example.com/qbwc',
      UserName: 'qbsync',
      RunEveryNMinutes: 5,
      QBType: 'QBFS',
    });
    expect(parseQwc(qwc({ AppURL: 'http://localhost:8080/qbwc' })).AppURL).toBe('http://localhost:8080/qbwc');
  });
  test.each([
    ['http other than localhost', { AppURL: 'http://sync.example.com/qbwc' }],
    ['OwnerID without braces', { OwnerID: '57F3B9B1-86F1-4fcc-B1EE-566DE1813D20' }],
    ['FileID not a GUID', { FileID: '{not-a-guid}' }],
    ['unknown QBType', { QBType: 'QBO' }],
    ['no user', { UserName: '' }],
  ])('%s is refused', (_name, over) => {
    expect(() => parseQwc(qwc(over))).toThrow(QwcError);
  });
  test('the connector reads URL and user from the file', async () => {
    const service = await startFakeService(standardScript([qbxml('<HostQueryRq/>')]));
    services.push(service);
    const connector = runWebConnector({
      qwc: qwc({ AppURL: service.url.replace('127.0.0.1', 'localhost'), UserName: 'from-qwc' }),
      password: 'p',
      company: createDesktopCompany({ seed: 'empty' }),
      latency: NO_LATENCY,
      timeScale: 1000,
    });
    expect(connector.everyMinutes).toBe(5);
    await connector.runOnce();
    expect(service.calls.find((c) => c.operation === 'authenticate')!.args.strUserName).toBe('from-qwc');
  });
});
