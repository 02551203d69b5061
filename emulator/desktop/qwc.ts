/** The .qwc file a user opens in the Web Connector: parsed and checked as QBWC checks it before adding the app. */
import { child, childText, parseXml } from './xml';

export interface QwcFile {
  AppName: string;
  AppID: string;
  AppURL: string;
  AppDescription?: string;
  AppSupport: string;
  UserName: string;
  OwnerID: string;
  FileID: string;
  QBType: 'QBFS' | 'QBPOS';
  /** Minutes; undefined when the file has no Scheduler. */
  RunEveryNMinutes?: number;
  RunEveryNSeconds?: number;
  IsReadOnly: boolean;
  AuthFlags?: string;
  PersonalDataPref?: string;
  UnattendedModePref?: string;
}

export class QwcError extends Error {}

const GUID = /^\{[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}$/;

export function isLocalhost(url: URL): boolean {
  return url.hostname === 'localhost' || url.hostname === '127.0.0.1' || url.hostname === '[::1]';
}

export function parseQwc(text: string): QwcFile {
  let root;
  try {
    root = parseXml(text).root;
  } catch (error) {
    throw new QwcError(`the .qwc file is not XML: ${(error as Error).message}`);
  }
  if (root.name !== 'QBWCXML') throw new QwcError(`the .qwc root element is <${root.name}>, not <QBWCXML>`);
  const need = (name: string): string => {
    const v = childText(root, name)?.trim();
    if (!v) throw new QwcError(`the .qwc file has no ${name}`);
    return v;
  };
  const appUrl = need('AppURL');
  let url: URL;
  try {
    url = new URL(appUrl);
  } catch {
    throw new QwcError(`AppURL "${appUrl}" is not a URL`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLocalhost(url)))
    throw new QwcError(`AppURL must use https unless it is localhost (QBWC refuses "${appUrl}")`);
  const support = need('AppSupport');
  let supportUrl: URL;
  try {
    supportUrl = new URL(support);
  } catch {
    throw new QwcError(`AppSupport "${support}" is not a URL`);
  }
  if (supportUrl.protocol !== 'https:' && !(supportUrl.protocol === 'http:' && isLocalhost(supportUrl)))
    throw new QwcError('AppSupport must use https unless it is localhost');
  const ownerId = need('OwnerID');
  const fileId = need('FileID');
  if (!GUID.test(ownerId)) throw new QwcError(`OwnerID "${ownerId}" is not a {GUID}`);
  if (!GUID.test(fileId)) throw new QwcError(`FileID "${fileId}" is not a {GUID}`);
  const qbType = need('QBType');
  if (qbType !== 'QBFS' && qbType !== 'QBPOS') throw new QwcError(`QBType must be QBFS or QBPOS, not ${qbType}`);
  const scheduler = child(root, 'Scheduler');
  let minutes: number | undefined;
  let seconds: number | undefined;
  if (scheduler) {
    const m = childText(scheduler, 'RunEveryNMinutes');
    const s = childText(scheduler, 'RunEveryNSeconds');
    if (m !== undefined) {
      minutes = Number(m);
      if (!Number.isInteger(minutes) || minutes < 1)
        throw new QwcError(`RunEveryNMinutes must be a whole number of minutes, not "${m}"`);
    }
    if (s !== undefined) {
      seconds = Number(s);
      if (!Number.isInteger(seconds) || seconds < 1)
        throw new QwcError(`RunEveryNSeconds must be a whole number, not "${s}"`);
    }
    if (minutes === undefined && seconds === undefined)
      throw new QwcError('Scheduler needs RunEveryNMinutes or RunEveryNSeconds');
  }
  const readOnly = childText(root, 'IsReadOnly') ?? 'false';
  if (readOnly !== 'true' && readOnly !== 'false')
    throw new QwcError(`IsReadOnly must be true or false, not ${readOnly}`);
  return {
    AppName: need('AppName'),
    AppID: childText(root, 'AppID') ?? '',
    AppURL: appUrl,
    AppDescription: childText(root, 'AppDescription'),
    AppSupport: support,
    UserName: need('UserName'),
    OwnerID: ownerId,
    FileID: fileId,
    QBType: qbType,
    RunEveryNMinutes: minutes,
    RunEveryNSeconds: seconds,
    IsReadOnly: readOnly === 'true',
    AuthFlags: childText(root, 'AuthFlags'),
    PersonalDataPref: childText(root, 'PersonalDataPref'),
    UnattendedModePref: childText(root, 'UnattendedModePref'),
  };
}
