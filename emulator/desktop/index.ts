// The QuickBooks Desktop (and Reckon Accounts) emulator: a qbXML company, the qbXML processor, and a QuickBooks Web
// Connector simulator that calls the integration's SOAP service as QBWC does. See emulator/README.md.
export {
  createDesktopCompany,
  DesktopCompany,
  flat,
  type DesktopCompanyOptions,
  type ExecuteResult,
} from './desktopCompany';
export { CompanyData, qbTime, type Flavour, type TxnKind, type CompanyState } from './company';
export {
  newSession,
  QbxmlDocumentError,
  PARSE_ERROR_HRESULT,
  PARSE_ERROR_MESSAGE,
  QBXML_VERSIONS,
  type Session,
} from './executor';
export { FaultBox, type DesktopFault } from './faults';
export { parseQwc, QwcError, type QwcFile } from './qwc';
export { seedCompany, type SeedName } from './seed';
export { QBWC_NS, QBWC_OPERATIONS, SOAP_ENV_NS, type QbwcOperation } from './soap';
export { TABLES } from './schema';
export {
  runWebConnector,
  WebConnector,
  REALISTIC_LATENCY,
  NO_LATENCY,
  type LatencyModel,
  type Transcript,
  type RunOutcome,
  type DesktopLogEntry,
  type WebConnectorOptions,
} from './webConnector';
export { startDesktopEmulator, type DesktopEmulatorOptions, type RunningDesktopEmulator } from './server';
export { parseXml, writeXml, el, type XmlElement } from './xml';
