/** A reply in one of QuickBooks' fault shapes. */
export interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export class QboFault extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly detail: string,
    readonly type = 'ValidationFault',
    readonly element?: string,
  ) {
    super(message);
  }

  toBody(time: string): unknown {
    const error: Record<string, unknown> = { Message: this.message, Detail: this.detail, code: this.code };
    if (this.element) error.element = this.element;
    return { Fault: { Error: [error], type: this.type }, time };
  }

  /** The shape a batch item carries. */
  toItemFault(): unknown {
    const error: Record<string, unknown> = { Message: this.message, Detail: this.detail, code: this.code };
    if (this.element) error.element = this.element;
    return { Error: [error], type: this.type };
  }
}

export const faults = {
  validation: (code: string, message: string, detail: string, element?: string) =>
    new QboFault(400, code, message, detail, 'ValidationFault', element),
  notFound: (entity: string, id: string) =>
    new QboFault(
      400,
      '610',
      'Object Not Found',
      `Object Not Found : Something you're trying to use has been made inactive. Check the fields with accounts, customers, items, vendors or employees. (${entity} ${id})`,
      'ValidationFault',
    ),
  stale: (id: string) =>
    new QboFault(
      400,
      '5010',
      'Stale Object Error',
      `Stale Object Error : You and root were working on this at the same time. root finished before you did, so your work was not saved. (Id ${id})`,
      'ValidationFault',
    ),
  duplicateName: (name: string, id: string) =>
    new QboFault(
      400,
      '6240',
      'Duplicate Name Exists Error',
      `The name supplied already exists. : Another customer, vendor or employee is already using this name (${name}) : Id=${id}`,
      'ValidationFault',
    ),
  duplicateDocNumber: (doc: string, txnId: string, txnType = 'Invoice') =>
    new QboFault(
      400,
      '6140',
      'Duplicate Document Number Error',
      `Duplicate Document Number Error : You must specify a different number. This number has already been used. DocNumber=${doc} is assigned to TxnType=${txnType} with TxnId=${txnId}`,
      'ValidationFault',
    ),
  businessValidation: (detail: string, element?: string) =>
    new QboFault(
      400,
      '6000',
      'A business validation error has occurred while processing your request',
      `Business Validation Error: ${detail}`,
      'ValidationFault',
      element,
    ),
  required: (element: string) =>
    new QboFault(
      400,
      '2020',
      'Required param missing, need to supply the required value for the API',
      `Required parameter ${element} is missing in the request`,
      'ValidationFault',
      element,
    ),
  invalidValue: (element: string, detail: string) =>
    new QboFault(400, '2050', 'Invalid String', detail, 'ValidationFault', element),
  /** QuickBooks' binding refusing a body: an unknown property, a value of the wrong kind, JSON it cannot read. */
  invalidProperty: (text: string) =>
    new QboFault(
      400,
      '2010',
      'Request has invalid or unsupported property',
      `Property Name:${text} specified is unsupported or invalid`,
      'ValidationFault',
    ),
  invalidId: (entity: string, id: string) =>
    new QboFault(
      400,
      '2030',
      'Invalid ID',
      `Id should be a valid number. Supplied value:${id}`,
      'ValidationFault',
      'Id',
    ),
  queryParser: (detail: string) =>
    new QboFault(400, '4000', 'Error parsing query', `QueryParserError: ${detail}`, 'ValidationFault'),
  queryValidation: (detail: string) =>
    new QboFault(400, '4001', 'Invalid query', `QueryValidationError: ${detail}`, 'ValidationFault'),
  unsupported: (detail: string) =>
    new QboFault(400, '500', 'Unsupported Operation', `Operation ${detail} is not supported.`, 'ValidationFault'),
  /** A path under the company that names no resource (an unknown entity, an extra or empty segment). */
  noResource: (path: string) =>
    new QboFault(
      400,
      '500',
      'Unsupported Operation',
      `Operation Could not find resource for relative : ${path} of full path: https://quickbooks.api.intuit.com${path} is not supported.`,
      'ValidationFault',
    ),
  throttled: () =>
    new QboFault(
      429,
      '3001',
      'message=ThrottleExceeded; errorCode=003001; statusCode=429',
      'The request limit was reached.  Try again later',
      'SERVICE',
    ),
  system: () =>
    new QboFault(
      500,
      '10000',
      'An application error has occurred while processing your request',
      'System Failure Error: An unexpected error occurred while accessing or saving your data. Please wait a few minutes and try again.',
      'SystemFault',
    ),
};

/**
 * The envelope QuickBooks' gateway answers 401 and 403 with: lowercase keys, every other key of its response class
 * present and null (or empty), an epoch-ms time.
 */
function gatewayFault(status: number, error: Record<string, unknown>, type: string, now: number): Reply {
  return {
    status,
    body: {
      warnings: null,
      intuitObject: null,
      fault: { error: [{ ...error, element: null }], type },
      report: null,
      queryResponse: null,
      batchItemResponse: [],
      attachableResponse: [],
      syncErrorResponse: null,
      requestId: null,
      time: now,
      status: null,
      cdcresponse: [],
    },
  };
}

/** The 401 QuickBooks gives for a missing, unknown or expired access token. */
export function authenticationFault(detail: string, now: number): Reply {
  const message = 'message=AuthenticationFailed; errorCode=003200; statusCode=401';
  return gatewayFault(401, { message, detail, code: '3200' }, 'AUTHENTICATION', now);
}

/** The 403 for a token whose app is not authorized for the company asked for. */
export function authorizationFault(now: number): Reply {
  const message = 'message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403';
  return gatewayFault(403, { message, detail: '', code: '3100' }, 'SERVICE', now);
}
