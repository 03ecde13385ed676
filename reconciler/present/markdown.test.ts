import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { inlines, renderHtml, tableRows } from './markdown-fixtures.ts';
import { htmlText, mdCode, mdDetails, mdTable, mdText } from './markdown.ts';

// Markdown cannot carry NUL, nor a vertical tab or form feed at either end (see mdText).
const carriable = (s: string) => !s.includes('\0') && !/^[\v\f]|[\v\f]$/.test(s);
const tricky = fc.constantFrom(...'|\\`<>[]()*_~&#!:/.-=+"\' \t\n\r'.split(''), 'http://x.io', '<b>', '&amp;', '```', '[a](b)', '<!--', '-->', '***', '~~', '\u00a0', '\u2028', 'é', '👍');
const value = fc
  .oneof(
    fc.string({ unit: tricky, maxLength: 12 }),
    fc.string({ unit: fc.oneof(tricky, fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 })), maxLength: 20 }),
    fc.string({ unit: 'binary', maxLength: 20 }),
  )
  .filter(carriable);

describe('markdown escaping (through markdown-it)', () => {
  it('a table keeps its shape and shows every cell value literally', () => {
    fc.assert(
      fc.property(fc.array(fc.array(value, { minLength: 3, maxLength: 3 }), { minLength: 1, maxLength: 4 }), (rows) => {
        const source = mdTable(['A', 'B', 'C'], rows.map(([a, b, c]) => [mdText(a!), mdCode(b!), mdText(c!)])).join('\n');
        const parsed = tableRows(source);
        expect(parsed.length).toBe(rows.length + 1);
        parsed.slice(1).forEach((cells, i) => {
          expect(cells.map((c) => c.text)).toEqual(rows[i]);
          for (const c of cells) expect(c.markup).toEqual([]);
        });
      }),
      { numRuns: 500 },
    );
  });

  it('inline text (a list item, a heading, bold) comes back literally', () => {
    fc.assert(
      fc.property(value, value, (a, b) => {
        const source = [`- key ${mdText(a)} value ${mdCode(b)} end`, '', `### ${mdCode(a)}`, '', `**Value ${mdText(b)} end**`].join('\n');
        const shown = inlines(source);
        expect(shown.map((s) => s.text)).toEqual([`key ${a} value ${b} end`, a, `Value ${b} end`]);
        expect(shown[0]!.markup).toEqual([]);
        expect(shown[1]!.markup).toEqual([]);
        expect(shown[2]!.markup).toEqual(['strong_open', 'strong_close']);
      }),
      { numRuns: 500 },
    );
  });

  it('the cases from the issue: a baseline URL with | and env values with HTML', () => {
    const url = 'https://a.example.com/x?q=a|b';
    const env = 'HTML=<img src=x onerror=alert(1)>';
    const source = mdTable(['Target', 'Env'], [[mdText(url), mdCode(env)]]).join('\n');
    expect(tableRows(source)[1]!.map((c) => c.text)).toEqual([url, env]);
    expect(renderHtml(source)).not.toContain('<img');
  });

  it('a <details> summary is HTML-escaped and the body is markdown again', () => {
    const html = renderHtml(mdDetails('Drift: <b>3</b> & more', ['| A |', '| --- |', `| ${mdText('x|y')} |`]).join('\n'));
    expect(html).toContain('<summary>Drift: &#60;b&#62;3&#60;/b&#62; &#38; more</summary>');
    expect(html).toContain('<td>x|y</td>');
    expect(htmlText('"\'')).toBe('&#34;&#39;');
  });
});
