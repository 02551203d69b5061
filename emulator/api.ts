import { runBatch } from './batch';
import { changeDataCapture } from './cdc';
import type { Company, Obj } from './company';
import { entityOf } from './company';
import { faults } from './faults';

export interface ApiRequest {
  method: string;
  url: URL;
  body: string;
  contentType: string;
  now: number;
}

export interface ApiResult {
  status: number;
  body: Record<string, unknown>;
}

const RESOURCE = /^\/v3\/company\/[^/]+\/([^/]+)(?:\/([^/]+))?\/?$/;

export function parseJsonObject(body: string): Record<string, unknown> {
  try {
    const value = JSON.parse(body) as unknown;
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // falls through to the fault below
  }
  throw faults.invalidProperty('failed to parse json object; a property');
}

function companyInfo(company: Company): Record<string, unknown> {
  return {
    Id: '1',
    SyncToken: '0',
    CompanyName: company.name,
    LegalName: company.name,
    Country: 'US',
    SupportedLanguages: 'en',
    domain: 'QBO',
    sparse: false,
    MetaData: { CreateTime: company.time(), LastUpdatedTime: company.time() },
  };
}

function preferences(company: Company): Record<string, unknown> {
  return {
    Id: '1',
    SyncToken: '0',
    SalesFormsPrefs: { CustomTxnNumbers: company.customTxnNumbers, DefaultTerms: { value: company.defaultTermsId } },
    TaxPrefs: { UsingSalesTax: true, PartnerTaxEnabled: false },
    CurrencyPrefs: { HomeCurrency: { value: 'USD' }, MultiCurrencyEnabled: false },
    domain: 'QBO',
    sparse: false,
  };
}

function queryText(request: ApiRequest): string {
  if (request.method === 'GET') return request.url.searchParams.get('query') ?? '';
  return /application\/text|text\/plain/i.test(request.contentType) ? request.body : '';
}

/** One Accounting API request against a company (authentication, limits and replays are handled before). */
export function executeApi(company: Company, request: ApiRequest): ApiResult {
  const { method, url } = request;
  const match = RESOURCE.exec(url.pathname);
  if (!match) throw faults.noResource(url.pathname);
  const [, resource, id] = match;
  const name = resource.toLowerCase();
  const include = (url.searchParams.get('include') ?? '').split(',');
  const options = { allowDuplicateDocNumber: include.includes('allowduplicatedocnum') };
  if (name === 'query') {
    const text = queryText(request);
    if (!text) throw faults.queryParser('No query given');
    if (/^\s*select\s+\*\s+from\s+(companyinfo|preferences)\b/i.test(text)) {
      const which = /companyinfo/i.test(text) ? 'CompanyInfo' : 'Preferences';
      return {
        status: 200,
        body: {
          QueryResponse: {
            [which]: [which === 'CompanyInfo' ? companyInfo(company) : preferences(company)],
            startPosition: 1,
            maxResults: 1,
          },
        },
      };
    }
    return { status: 200, body: { QueryResponse: company.query(text) } };
  }
  if (name === 'cdc') return { status: 200, body: changeDataCapture(company, url.searchParams, request.now) };
  if (name === 'batch') return { status: 200, body: runBatch(company, parseJsonObject(request.body), options) };
  if (name === 'companyinfo') return { status: 200, body: { CompanyInfo: companyInfo(company) } };
  if (name === 'preferences') {
    if (method === 'POST') {
      const prefs = parseJsonObject(request.body) as { SalesFormsPrefs?: { CustomTxnNumbers?: boolean } };
      if (typeof prefs.SalesFormsPrefs?.CustomTxnNumbers === 'boolean')
        company.customTxnNumbers = prefs.SalesFormsPrefs.CustomTxnNumbers;
    }
    return { status: 200, body: { Preferences: preferences(company) } };
  }
  let entity: ReturnType<typeof entityOf>;
  try {
    entity = entityOf(resource);
  } catch {
    throw faults.noResource(url.pathname);
  }
  if (method === 'GET') {
    if (!id) throw faults.unsupported(`GET ${resource} without an id`);
    return { status: 200, body: { [entity]: company.get(entity, decodeURIComponent(id)) } };
  }
  const input = parseJsonObject(request.body);
  const operation = url.searchParams.get('operation');
  let result: Obj | Record<string, unknown>;
  if (operation === 'delete') result = company.remove(entity, input);
  else if (operation === 'void') result = company.void(entity, input);
  else if (input.Id !== undefined) result = company.update(entity, input, options);
  else result = company.create(entity, input, options);
  return { status: 200, body: { [entity]: result } };
}
