/**
 * The emulator's verdicts against Intuit's own qbXML 13.0 schema, checked with xmllint. Intuit's XSDs are not in the
 * repository (all rights reserved): point QBXML_XSD at a local copy of the root schema (the one defining QBXML,
 * e.g. qbxmlops130.xsd with its includes beside it) to run it; without it the test is skipped.
 *
 * Every corpus case the schema can judge, and every mutation of the valid ones (adjacent siblings swapped, an element
 * dropped, an element doubled), must get the same verdict from both; every response the emulator writes must validate.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createDesktopCompany, parseXml, TABLES, writeXml, type XmlElement } from '../../emulator/desktop';
import { table, type ElementParticle, type Particle } from '../../emulator/desktop/schema';
import { CORPUS } from './corpus';
import { qbxml } from './qbxml';

const XSD = process.env.QBXML_XSD;
const maybe = XSD ? describe : describe.skip;

maybe('against Intuit’s qbXML schema (QBXML_XSD)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qbsync-xsd-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  const schemaValid = (xml: string): boolean => {
    const file = path.join(dir, `${n++}.xml`);
    fs.writeFileSync(file, xml);
    try {
      execFileSync('xmllint', ['--noout', '--schema', XSD!, file], { stdio: 'pipe' });
      return true;
    } catch {
      return false;
    }
  };
  /** Rejected as a document, or a field too long: what a schema-validating parser rejects (business errors aside). */
  const company = createDesktopCompany({ seed: 'salesin' });
  const emulatorAccepts = (xml: string): boolean => {
    const result = company.tryExecute(xml);
    return result.ok && !/statusCode="3070"/.test(result.response);
  };
  const judged = CORPUS.filter((c) => !c.schemaNeutral);

  test.each(judged.map((c) => [c.name, c] as const))('corpus: %s', (_name, c) => {
    expect(emulatorAccepts(c.xml)).toBe(schemaValid(c.xml));
  });

  test('mutations of the valid documents: swaps, drops and doubles', () => {
    const disagreements: string[] = [];
    let count = 0;
    for (const c of judged.filter((k) => k.expect === 'accept')) {
      const root = parseXml(c.xml).root;
      const msgs = root.children[0];
      const visit = (e: XmlElement, where: string) => {
        const check = (what: string) => {
          const xml = `<?xml version="1.0" encoding="utf-8"?>\n<?qbxml version="13.0"?>\n${writeXml(root)}`;
          count++;
          if (emulatorAccepts(xml) !== schemaValid(xml)) disagreements.push(`${c.name}: ${what} at ${where}`);
        };
        for (let i = 0; i < e.children.length; i++) {
          const kid = e.children[i];
          if (i + 1 < e.children.length && kid.name !== e.children[i + 1].name) {
            [e.children[i], e.children[i + 1]] = [e.children[i + 1], e.children[i]];
            check(`swap ${kid.name}`);
            [e.children[i], e.children[i + 1]] = [e.children[i + 1], e.children[i]];
          }
          if (e !== msgs) {
            e.children.splice(i, 1);
            check(`drop ${kid.name}`);
            e.children.splice(i, 0, kid);
          }
          e.children.splice(i, 0, structuredClone(kid));
          check(`double ${kid.name}`);
          e.children.splice(i, 1);
        }
        for (const kid of e.children) visit(kid, `${where}/${kid.name}`);
      };
      visit(msgs, 'QBXMLMsgsRq');
    }
    expect(count).toBeGreaterThan(300);
    expect(disagreements).toEqual([]);
  });

  const SAMPLE: Record<string, string> = {
    str: 'x',
    id: '80000001-1',
    bool: 'true',
    int: '1',
    amt: '1.00',
    price: '1.00',
    quan: '1',
    pct: '1',
    date: '2024-01-02',
    dt: '2024-01-02T03:04:05',
    guid: '{3F2504E0-4F89-11D3-9A0C-0305E82C3301}',
  };
  /** Every element of a table once, in our order, the `branch`-th alternative of each choice (ANY content left out). */
  const instance = (particles: Particle[], branch: number, override?: { particle: Particle; value: string }): string =>
    particles
      .map((p) => {
        if ('choice' in p) {
          const usable = p.choice.filter(
            (b) => !b.some((x) => 'el' in x && typeof x.type === 'object' && x.type.kind === 'any' && x.min > 0),
          );
          return instance(usable[Math.min(branch, usable.length - 1)], branch, override);
        }
        if (typeof p.type === 'object' && p.type.kind === 'any') return '';
        const t = p.type;
        const value =
          p === override?.particle
            ? override.value
            : typeof t === 'string'
              ? instance(table(t), branch, override)
              : t.kind === 'enum'
                ? t.values[0]
                : SAMPLE[t.kind];
        return `<${p.el}>${value}</${p.el}>`;
      })
      .join('');

  test('each request table, filled in full in our order, is valid for the schema (every branch of every choice)', () => {
    const invalid: string[] = [];
    for (const name of Object.keys(TABLES).filter((n) => n.endsWith('Rq'))) {
      for (let branch = 0; branch < 4; branch++) {
        const xml = qbxml(`<${name}>${instance(table(name), branch)}</${name}>`);
        if (!schemaValid(xml)) invalid.push(`${name} (branch ${branch})`);
      }
    }
    expect(invalid).toEqual([]);
  });

  test('every maximum length in the tables is the schema’s: at the limit valid, one over invalid', () => {
    const wrong: string[] = [];
    let checked = 0;
    for (const name of Object.keys(TABLES).filter((n) => n.endsWith('Rq'))) {
      // Each string leaf with a maximum, reached through the first branch that contains it.
      const leaves = new Map<string, { particle: ElementParticle; branch: number }>();
      const collect = (particles: Particle[], branch: number, where: string) => {
        for (const p of particles) {
          if ('choice' in p) {
            const usable = p.choice.filter(
              (b) => !b.some((x) => 'el' in x && typeof x.type === 'object' && x.type.kind === 'any' && x.min > 0),
            );
            collect(usable[Math.min(branch, usable.length - 1)], branch, where);
          } else if (typeof p.type === 'string') collect(table(p.type), branch, `${where}/${p.el}`);
          else if (p.type.kind === 'str' && p.type.max !== undefined && !leaves.has(`${where}/${p.el}`))
            leaves.set(`${where}/${p.el}`, { particle: p, branch });
        }
      };
      for (let branch = 0; branch < 4; branch++) collect(table(name), branch, name);
      for (const [where, { particle, branch }] of leaves) {
        const max = (particle.type as { max: number }).max;
        const doc = (length: number) =>
          qbxml(`<${name}>${instance(table(name), branch, { particle, value: 'x'.repeat(length) })}</${name}>`);
        checked++;
        if (!schemaValid(doc(max)) || schemaValid(doc(max + 1))) wrong.push(`${where} (${max})`);
      }
    }
    expect(checked).toBeGreaterThan(400);
    expect(wrong).toEqual([]);
  });

  test('every response the emulator writes validates (Ret element order)', () => {
    for (const seed of ['salesin', 'reckon'] as const) {
      const company = createDesktopCompany({ seed });
      const version = seed === 'reckon' ? '6.1' : '13.0';
      for (const c of CORPUS.filter(
        (k) => k.expect === 'accept' && k.xml.includes('version="6.1"') === (seed === 'reckon'),
      )) {
        const result = company.tryExecute(c.xml);
        if (result.ok) expect([c.name, schemaValid(result.response)]).toEqual([c.name, true]);
      }
      const everything =
        '<CustomerQueryRq><ActiveStatus>All</ActiveStatus></CustomerQueryRq><ItemQueryRq><ActiveStatus>All</ActiveStatus></ItemQueryRq><PriceLevelQueryRq/><SalesTaxCodeQueryRq/>' +
        ['SalesOrder', 'Invoice', 'Estimate']
          .map((k) => `<${k}QueryRq><IncludeLineItems>true</IncludeLineItems></${k}QueryRq>`)
          .join('') +
        '<ReceivePaymentQueryRq/><ListDeletedQueryRq><ListDelType>Customer</ListDelType></ListDeletedQueryRq>';
      const all = company.execute(qbxml(everything, { version, attrs: 'onError="continueOnError"' }));
      expect(schemaValid(all)).toBe(true);
      expect(schemaValid(company.hcpResponse())).toBe(true);
    }
  });
});
