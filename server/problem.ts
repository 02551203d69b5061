import type { z } from 'zod';

/** Where a named field is: the JSON body, the query string, the URL path, or a header. */
export type FieldLocation = 'body' | 'query' | 'path' | 'header';

export interface FieldError {
  in: FieldLocation;
  field: string;
  message: string;
}

/** An RFC 9457 problem: every error the API returns is one, and names the field it is about. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors: FieldError[];
}

export class ProblemError extends Error {
  override name = 'ProblemError';
  constructor(
    readonly status: number,
    readonly slug: string,
    readonly title: string,
    detail: string,
    readonly errors: FieldError[],
  ) {
    super(detail);
  }

  toProblem(): Problem {
    return {
      type: `https://qbsync.dev/problems/${this.slug}`,
      title: this.title,
      status: this.status,
      detail: this.message,
      errors: this.errors,
    };
  }
}

export const problem = {
  invalid: (where: FieldLocation, error: z.ZodError) => {
    const name = (path: PropertyKey[]) => (path.length ? path.map(String).join('.') : where);
    // An unknown field is named itself, not its parent object.
    const errors = error.issues.flatMap((i) =>
      i.code === 'unrecognized_keys'
        ? i.keys.map((k) => ({ in: where, field: name([...i.path, k]), message: 'unknown field' }))
        : [{ in: where, field: name(i.path), message: i.message }],
    );
    return new ProblemError(
      400,
      'invalid-request',
      'Invalid request',
      `${errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`,
      errors,
    );
  },
  unauthenticated: (message: string) =>
    new ProblemError(401, 'unauthenticated', 'Missing or invalid API key', message, [
      { in: 'header', field: 'Authorization', message },
    ]),
  forbidden: (field: string, where: FieldLocation, message: string) =>
    new ProblemError(403, 'forbidden', 'Not allowed for this API key', message, [{ in: where, field, message }]),
  notFound: (field: string, where: FieldLocation, message: string) =>
    new ProblemError(404, 'not-found', 'Not found', message, [{ in: where, field, message }]),
  conflict: (field: string, where: FieldLocation, message: string) =>
    new ProblemError(409, 'conflict', 'Conflict', message, [{ in: where, field, message }]),
  unprocessable: (field: string, where: FieldLocation, message: string) =>
    new ProblemError(422, 'unprocessable', 'Cannot be done as asked', message, [{ in: where, field, message }]),
  tooLarge: (limit: number) =>
    new ProblemError(413, 'too-large', 'Request body too large', `the body is larger than ${limit} bytes`, [
      { in: 'body', field: 'body', message: `at most ${limit} bytes` },
    ]),
  unavailable: (field: string, message: string) =>
    new ProblemError(503, 'unavailable', 'Service unavailable', message, [{ in: 'body', field, message }]),
};
