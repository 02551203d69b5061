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
  unknownProperty: (name: string) =>
    new QboFault(
      400,
      '2010',
      'Request has invalid or unsupported property',
      `Property Name:Can not construct instance of ${name}`,
      'ValidationFault',
    ),
  queryParser: (detail: string) =>
    new QboFault(400, '4000', 'Error parsing query', `QueryParserError: ${detail}`, 'ValidationFault'),
  queryValidation: (detail: string) =>
    new QboFault(400, '4001', 'Invalid query', `QueryValidationError: ${detail}`, 'ValidationFault'),
  unsupported: (detail: string) =>
    new QboFault(400, '500', 'Unsupported Operation', `Operation ${detail} is not supported.`, 'ValidationFault'),
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

/** The 401 QuickBooks gives for a missing, unknown or expired access token: lowercase keys, epoch-ms time. */
export function authenticationFault(detail: string, now: number): Reply {
  return {
    status: 401,
    body: {
      fault: {
        error: [
          {
            message: 'message=AuthenticationFailed; errorCode=003200; statusCode=401',
            detail,
            code: '3200',
            element: null,
          },
        ],
        type: 'AUTHENTICATION',
      },
      time: now,
    },
  };
}
