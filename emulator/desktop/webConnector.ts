/**
 * A QuickBooks Web Connector simulator: it calls the integration's web service over SOAP exactly as QBWC does,
 * hands each qbXML request to the emulated QuickBooks (one at a time, with QuickBooks' latency) and follows every
 * answer the way QBWC does. Time (latency, NoOp pauses, the scheduler) is divided by `timeScale`.
 */
import http from 'node:http';
import https from 'node:https';
import { RequestLog, type LogEntryBase } from '../requestLog';
import type { DesktopCompany, ExecuteResult } from './desktopCompany';
import type { Session } from './executor';
import type { FaultBox } from './faults';
import { parseQwc, type QwcFile } from './qwc';
import { soapHeaders, soapRequest, soapResult, type QbwcOperation, type SoapArgs } from './soap';

/** QuickBooks' own processing time for one request document. */
export interface LatencyModel {
  /** Every document. */
  baseMs: number;
  /** Per object returned (big queries take seconds). */
  perRecordMs: number;
  /** Per add or mod in the document. */
  perWriteMs: number;
}
/** Hundreds of milliseconds per request, seconds for queries of a thousand records (Conductor's and users' reports). */
export const REALISTIC_LATENCY: LatencyModel = { baseMs: 200, perRecordMs: 4, perWriteMs: 300 };
export const NO_LATENCY: LatencyModel = { baseMs: 0, perRecordMs: 0, perWriteMs: 0 };

export interface DesktopLogEntry extends LogEntryBase {
  /** One QBWC session (authenticate … closeConnection). */
  run: number;
  operation: QbwcOperation;
  /** Arguments as sent (the password masked). */
  args: Record<string, string>;
  /** The web service's answer, or the transport/SOAP error. */
  answer?: string | string[];
  error?: string;
  /** sendRequestXML's answer: the qbXML request document; receiveResponseXML's response argument: QuickBooks' answer. */
  qbxmlRequest?: string;
  qbxmlResponse?: string;
  hresult?: string;
  ms: number;
}

export interface TranscriptCall {
  operation: QbwcOperation;
  args: Record<string, string>;
  answer?: string | string[];
  error?: string;
}

export type RunOutcome =
  'done' | 'none' | 'nvu' | 'busy' | 'versionRefused' | 'connectionError' | 'error' | 'aborted' | 'transportError';

export interface Transcript {
  run: number;
  calls: TranscriptCall[];
  /** What QBWC shows the user (its status line and message boxes). */
  shown: string[];
  outcome: RunOutcome;
  /** qbXML documents QuickBooks processed in this run. */
  documents: number;
  /** Seconds before the next run the server asked for (authenticate's third string), if any. */
  postponeSeconds?: number;
  /** The smallest interval the server allows (authenticate's fourth string), if any. */
  minRunEverySeconds?: number;
}

export interface WebConnectorOptions {
  /** A .qwc file's text (or parsed), or the URL and user directly. */
  qwc?: string | QwcFile;
  url?: string;
  user?: string;
  password: string;
  company: DesktopCompany;
  faults?: FaultBox;
  log?: RequestLog<DesktopLogEntry>;
  /** Minutes between runs; default the .qwc Scheduler's, else 1. */
  everyMinutes?: number;
  /** The same as everyMinutes. */
  every?: number;
  /** Divides every wait: 60 makes a minute last a second. Default 1. */
  timeScale?: number;
  latency?: LatencyModel;
  /** The version QBWC reports to clientVersion. */
  clientVersion?: string;
  /** A NoOp loop longer than this ends the run (QBWC itself would wait forever). */
  maxNoOps?: number;
  /** Stop a session after this many documents (protects against a server that never answers 100). */
  maxDocuments?: number;
  /** Certificate authorities to trust for an https AppURL (a private CA's PEM); default Node's. */
  ca?: string | Buffer;
  /** Called after each run of the scheduler. */
  onRun?: (t: Transcript) => void;
}

const NOOP_WAIT_MS = 5_000;

/** The company's QuickBooks: one document at a time, each taking the latency model's time. */
class QuickBooksProcess {
  private queue: Promise<unknown> = Promise.resolve();
  constructor(
    readonly company: DesktopCompany,
    readonly latency: LatencyModel,
    readonly timeScale: number,
    readonly faults: FaultBox,
  ) {}

  process(xml: string, session: Session): Promise<ExecuteResult> {
    const run = this.queue.then(async () => {
      const result = this.company.tryExecute(xml, session);
      const records = result.ok ? (result.response.match(/<\/\w+Ret>/g)?.length ?? 0) : 0;
      const writes = xml.match(/<\w+(Add|Mod)Rq[\s>]/g)?.length ?? 0;
      const slow = this.faults.take('slow')?.ms ?? 0;
      const ms = this.latency.baseMs + records * this.latency.perRecordMs + writes * this.latency.perWriteMs + slow;
      await sleep(ms / this.timeScale);
      return result;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }
}

const processes = new WeakMap<DesktopCompany, QuickBooksProcess>();

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

export class WebConnector {
  readonly qwc?: QwcFile;
  readonly url: string;
  readonly user: string;
  readonly log: RequestLog<DesktopLogEntry>;
  readonly faults: FaultBox;
  readonly timeScale: number;
  private readonly qb: QuickBooksProcess;
  private runs = 0;
  private timer?: NodeJS.Timeout;
  private running?: Promise<Transcript>;
  private stopped = true;
  everyMinutes: number;
  /** The server's minimum interval (authenticate's fourth string), in seconds. */
  private minRunEverySeconds = 0;
  last?: Transcript;

  constructor(readonly options: WebConnectorOptions) {
    if (options.qwc !== undefined) this.qwc = typeof options.qwc === 'string' ? parseQwc(options.qwc) : options.qwc;
    const url = options.url ?? this.qwc?.AppURL;
    const user = options.user ?? this.qwc?.UserName;
    if (!url || !user) throw new Error('the Web Connector needs a .qwc file or a url and a user');
    this.url = url;
    this.user = user;
    this.faults = options.faults ?? options.company.faults;
    this.log = options.log ?? new RequestLog<DesktopLogEntry>();
    this.timeScale = options.timeScale ?? 1;
    if (!(this.timeScale > 0)) throw new Error('timeScale must be positive');
    this.everyMinutes =
      options.everyMinutes ??
      options.every ??
      this.qwc?.RunEveryNMinutes ??
      (this.qwc?.RunEveryNSeconds ? this.qwc.RunEveryNSeconds / 60 : 1);
    const latency = options.latency ?? REALISTIC_LATENCY;
    let qb = processes.get(options.company);
    if (!qb || qb.latency !== latency || qb.timeScale !== this.timeScale) {
      qb = new QuickBooksProcess(options.company, latency, this.timeScale, this.faults);
      processes.set(options.company, qb);
    }
    this.qb = qb;
  }

  /** One full QBWC session: serverVersion, clientVersion, authenticate, the request/response loop, closeConnection. */
  runOnce(): Promise<Transcript> {
    // QBWC never overlaps two runs of the same application.
    this.running ??= this.session().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Runs now and then every `everyMinutes` (time-scaled), honouring postpone and minimum-interval answers. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    const loop = async () => {
      if (this.stopped) return;
      const t = await this.runOnce().catch(() => undefined);
      if (t) this.options.onRun?.(t);
      if (this.stopped) return;
      const everyMs = Math.max(this.everyMinutes * 60_000, this.minRunEverySeconds * 1000);
      const waitMs = t?.postponeSeconds !== undefined ? t.postponeSeconds * 1000 : everyMs;
      this.timer = setTimeout(() => void loop(), waitMs / this.timeScale);
    };
    void loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }

  private async session(): Promise<Transcript> {
    const run = ++this.runs;
    const t: Transcript = { run, calls: [], shown: [], outcome: 'done', documents: 0 };
    this.last = t;
    const call = async (operation: QbwcOperation, args: SoapArgs, extra: Partial<DesktopLogEntry> = {}) => {
      const started = Date.now();
      const shownArgs = Object.fromEntries(args.map(([k, v]) => [k, k === 'strPassword' ? '********' : String(v)]));
      try {
        const answer = await this.post(operation, args);
        const value = operation === 'authenticate' ? (answer.strings ?? []) : (answer.text ?? '');
        t.calls.push({ operation, args: shownArgs, answer: value });
        this.log.record(
          {
            run,
            operation,
            args: shownArgs,
            answer: value,
            ms: Date.now() - started,
            ...(operation === 'sendRequestXML' && typeof value === 'string' && value !== ''
              ? { qbxmlRequest: value }
              : {}),
            ...extra,
          },
          started,
        );
        return value;
      } catch (error) {
        const message = (error as Error).message;
        t.calls.push({ operation, args: shownArgs, error: message });
        this.log.record(
          { run, operation, args: shownArgs, error: message, ms: Date.now() - started, ...extra },
          started,
        );
        throw new TransportError(message);
      }
    };
    try {
      await this.flow(t, call);
    } catch (error) {
      if (!(error instanceof TransportError)) throw error;
      t.outcome = 'transportError';
      const failed = t.calls[t.calls.length - 1]?.operation;
      // QBWC words a failure before or during authenticate as QBWC1012, later ones as a failed call of that method.
      t.shown.push(
        failed === 'serverVersion' || failed === 'clientVersion' || failed === 'authenticate'
          ? `QBWC1012: Authentication failed due to following error message. ${error.message}`
          : `QBWC1013: Error connecting to the web service (${failed}): ${error.message}`,
      );
    }
    return t;
  }

  private async flow(
    t: Transcript,
    call: (op: QbwcOperation, args: SoapArgs, extra?: Partial<DesktopLogEntry>) => Promise<string | string[]>,
  ): Promise<void> {
    const company = this.options.company;
    await call('serverVersion', []);
    const cv = String(await call('clientVersion', [['strVersion', this.options.clientVersion ?? '2.3.0.215']]));
    if (cv.startsWith('E:')) {
      t.shown.push(cv.slice(2));
      t.outcome = 'versionRefused';
      return;
    }
    if (cv.startsWith('O:')) {
      t.shown.push(`This application requires QBWC version ${cv.slice(2)} or later.`);
      t.outcome = 'versionRefused';
      return;
    }
    if (cv.startsWith('W:')) t.shown.push(cv.slice(2)); // QBWC asks the user; the simulator answers "continue".
    const auth = (await call('authenticate', [
      ['strUserName', this.user],
      ['strPassword', this.options.password],
    ])) as string[];
    const [ticket = '', status = '', postpone, minRun] = auth;
    if (postpone !== undefined && postpone !== '' && Number.isFinite(Number(postpone)))
      t.postponeSeconds = Number(postpone);
    if (minRun !== undefined && minRun !== '' && Number.isFinite(Number(minRun))) {
      t.minRunEverySeconds = Number(minRun);
      this.minRunEverySeconds = Number(minRun);
    }
    if (status === 'nvu' || ticket === '') {
      t.shown.push('Authentication failed: invalid user name or password (nvu).');
      t.outcome = 'nvu';
      return;
    }
    if (status === 'none') {
      t.shown.push('No data exchange required.');
      t.outcome = 'none';
      return;
    }
    if (status === 'busy') {
      t.shown.push('The application is busy; the Web Connector will try again later.');
      t.outcome = 'busy';
      return;
    }
    // "" = use the company file open in QuickBooks; anything else is the path of the file QuickBooks must open.
    let wanted = status;
    for (let attempt = 0; ; attempt++) {
      const problem = this.connectionProblem(wanted);
      if (!problem) break;
      const answer = String(
        await call('connectionError', [
          ['ticket', ticket],
          ['hresult', problem.hresult],
          ['message', problem.message],
        ]),
      );
      t.shown.push(problem.message);
      // "DONE" stops; "" tries again with the company file open in QuickBooks (Intuit's sample services answer ""
      // once, then "DONE"); any other string is a company file path to try. We give up after three tries.
      if (answer.toLowerCase() === 'done' || attempt >= 2) {
        t.outcome = 'connectionError';
        t.shown.push(String(await call('closeConnection', [['ticket', ticket]])));
        return;
      }
      wanted = answer;
    }
    const session = company.newSession();
    const [major, minor] = company.data.info.maxVersion.split('.');
    const fileName = wanted || company.data.info.filePath;
    const country = company.data.info.flavour === 'reckon' ? 'AU' : 'US';
    let first = true;
    let noOps = 0;
    for (;;) {
      const request = String(
        await call('sendRequestXML', [
          ['ticket', ticket],
          ['strHCPResponse', first ? company.hcpResponse() : ''],
          ['strCompanyFileName', fileName],
          ['qbXMLCountry', country],
          ['qbXMLMajorVers', Number(major)],
          ['qbXMLMinorVers', Number(minor)],
        ]),
      );
      first = false;
      if (request === '') {
        const error = String(await call('getLastError', [['ticket', ticket]]));
        if (error === 'NoOp' && noOps < (this.options.maxNoOps ?? 100)) {
          noOps++;
          await sleep(NOOP_WAIT_MS / this.timeScale);
          continue;
        }
        t.shown.push(error);
        t.outcome = 'error';
        break;
      }
      const dies = this.faults.take(
        'sessionDies',
        (r) => (r.afterRequests ?? 0) <= t.documents && (!r.requestMatch || new RegExp(r.requestMatch).test(request)),
      );
      if (dies) {
        t.shown.push('QuickBooks closed the session (the connection to QuickBooks was lost).');
        t.outcome = 'aborted';
        session.iterators.clear();
        return;
      }
      const result = await this.qb.process(request, session);
      t.documents++;
      const lost = this.faults.take('responseLost', (r) => !r.requestType || request.includes(`<${r.requestType}`));
      if (lost) {
        // QuickBooks applied the document; the answer never reaches the service and the session is gone.
        t.shown.push('The connection was lost before the response was sent.');
        t.outcome = 'aborted';
        session.iterators.clear();
        return;
      }
      const answer = String(
        await call(
          'receiveResponseXML',
          [
            ['ticket', ticket],
            ['response', result.ok ? result.response : ''],
            ['hresult', result.ok ? '' : result.hresult],
            ['message', result.ok ? '' : result.message],
          ],
          result.ok ? { qbxmlResponse: result.response } : { hresult: result.hresult },
        ),
      );
      if (!/^-?\d+$/.test(answer.trim())) {
        t.shown.push(`receiveResponseXML answered "${answer}", which is not an integer.`);
        t.outcome = 'error';
        break;
      }
      const percent = Number(answer);
      if (percent < 0) {
        const error = String(await call('getLastError', [['ticket', ticket]]));
        if (error === 'NoOp' && noOps < (this.options.maxNoOps ?? 100)) {
          noOps++;
          await sleep(NOOP_WAIT_MS / this.timeScale);
          continue;
        }
        t.shown.push(error);
        t.outcome = 'error';
        break;
      }
      if (percent >= 100) break;
      if (t.documents >= (this.options.maxDocuments ?? 10_000)) {
        t.shown.push('Too many requests in one session; stopping.');
        t.outcome = 'error';
        break;
      }
    }
    session.iterators.clear();
    t.shown.push(String(await call('closeConnection', [['ticket', ticket]])));
  }

  /** QuickBooks not running, no company open, access denied, or another company file wanted than the one open. */
  private connectionProblem(wantedPath: string): { hresult: string; message: string } | undefined {
    if (this.faults.take('qbNotRunning')) return { hresult: '0x80040408', message: 'Could not start QuickBooks.' };
    if (this.faults.take('companyClosed'))
      return {
        hresult: '0x80040416',
        message: 'If QuickBooks is not running, a company file must be specified; no company file is open.',
      };
    if (this.faults.take('accessDenied'))
      return { hresult: '0x80040420', message: 'The QuickBooks user has denied access.' };
    const open = this.options.company.data.info.filePath;
    if (wantedPath && wantedPath.toLowerCase() !== open.toLowerCase())
      return {
        hresult: '0x80040417',
        message: `A QuickBooks company data file is already open and it is different from the one requested (${wantedPath}).`,
      };
    return undefined;
  }

  private post(operation: QbwcOperation, args: SoapArgs): Promise<{ text?: string; strings?: string[] }> {
    const body = soapRequest(operation, args);
    const url = new URL(this.url);
    const client = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = client.request(
        url,
        {
          method: 'POST',
          headers: soapHeaders(operation, Buffer.byteLength(body)),
          timeout: 120_000,
          ...(this.options.ca ? { ca: this.options.ca } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            if ((res.statusCode ?? 0) >= 400 && !text.includes('Fault')) {
              reject(new Error(`HTTP ${res.statusCode} from ${this.url}`));
              return;
            }
            try {
              resolve(soapResult(operation, text));
            } catch (error) {
              reject(error as Error);
            }
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error('the web service did not answer in time')));
      req.on('error', reject);
      req.end(body);
    });
  }
}

class TransportError extends Error {}

export function runWebConnector(options: WebConnectorOptions): WebConnector {
  return new WebConnector(options);
}
