import { chunkIn, QboValidationError, quote, select } from '../../activities/quickbooks';

describe('query builder', () => {
  it("escapes an apostrophe with a backslash (O'Brien)", () => {
    expect(select('Customer').where('DisplayName', '=', "Amy's O'Brien").build()).toBe(
      "SELECT * FROM Customer WHERE DisplayName = 'Amy\\'s O\\'Brien'",
    );
  });

  it('escapes backslashes before apostrophes, so a trailing backslash cannot end the literal', () => {
    expect(quote('C:\\temp\\')).toBe("'C:\\\\temp\\\\'");
    expect(quote("a\\'b")).toBe("'a\\\\\\'b'");
  });

  it('refuses a newline, a tab or another control character before anything is sent, as a non-retryable validation error', () => {
    for (const bad of ['two\nlines', 'tab\there', 'nul\u0000', 'sep\u2028']) {
      let error: unknown;
      try {
        select('Customer').where('DisplayName', '=', bad);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(QboValidationError);
      expect((error as QboValidationError).code).toBe('qbsync-query');
      expect((error as QboValidationError).retryable).toBe(false);
      expect((error as Error).message).toMatch(/DisplayName/);
    }
  });

  it('validates field and entity names', () => {
    expect(() => select('Customer').where("Id = '1' OR 1", '=', 1)).toThrow(QboValidationError);
    expect(() => select('Customer; drop').build()).toThrow(QboValidationError);
    expect(
      select('Invoice')
        .where('MetaData.LastUpdatedTime', '>=', new Date('2024-05-06T07:08:09.123Z'))
        .orderBy('MetaData.LastUpdatedTime', 'DESC')
        .build(),
    ).toBe(
      "SELECT * FROM Invoice WHERE MetaData.LastUpdatedTime >= '2024-05-06T07:08:09+00:00' ORDERBY MetaData.LastUpdatedTime DESC",
    );
  });

  it('joins conditions with AND, takes numbers, booleans, IN lists, paging and COUNT', () => {
    const q = select('Item')
      .where('Active', '=', true)
      .where('UnitPrice', '>', 10.5)
      .whereIn('Id', ['1', "2'"])
      .startPosition(1001)
      .maxResults(1000);
    expect(q.build()).toBe(
      "SELECT * FROM Item WHERE Active = true AND UnitPrice > 10.5 AND Id IN ('1', '2\\'') STARTPOSITION 1001 MAXRESULTS 1000",
    );
    expect(q.buildCount()).toBe(
      "SELECT COUNT(*) FROM Item WHERE Active = true AND UnitPrice > 10.5 AND Id IN ('1', '2\\'')",
    );
    expect(() => select('Item').whereIn('Id', [])).toThrow(QboValidationError);
    expect(() => select('Item').maxResults(1001)).toThrow(QboValidationError);
    expect(() => select('Item').where('UnitPrice', '=', Number.NaN)).toThrow(QboValidationError);
  });

  it('chunks long IN lists', () => {
    const ids = Array.from({ length: 250 }, (_, i) => String(i));
    const chunks = chunkIn(ids, 100);
    expect(chunks.map((c) => c.length)).toEqual([100, 100, 50]);
    expect(chunks.flat()).toEqual(ids);
    expect(chunkIn([], 10)).toEqual([]);
  });
});
