import { createDesktopCompany } from '../../emulator/desktop';
import { CORPUS } from './corpus';
import { responses } from './qbxml';

describe('what the emulator accepts and rejects, document by document', () => {
  test.each(CORPUS.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const company = createDesktopCompany({ seed: c.xml.includes('version="6.1"') ? 'reckon' : 'salesin' });
    const result = company.tryExecute(c.xml);
    if (c.expect === 'document') {
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.hresult).toBe('0x80040400');
      return;
    }
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const codes = responses(result.response).map((rs) => Number(rs.attrs.statusCode));
    if (c.expect === 'accept')
      for (const rs of responses(result.response)) expect(rs.attrs.statusSeverity).not.toBe('Error');
    else expect(codes).toContain(c.expect);
  });
});
