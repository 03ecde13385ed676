// For tests: markdown read back through a real CommonMark + GFM-tables renderer (markdown-it, with
// raw HTML and linkify on, as permissive as a forge), as the text a reader sees and the markup found.
import MarkdownIt from 'markdown-it';

type Token = ReturnType<InstanceType<typeof MarkdownIt>['parse']>[number];
const md = new MarkdownIt({ html: true, linkify: true });

/** What one inline run shows: its text, and any markup other than our `<code>` wrapper. */
export interface Shown {
  text: string;
  markup: string[];
}

function shown(inline: Token): Shown {
  let text = '';
  const markup: string[] = [];
  for (const child of inline.children ?? []) {
    if (child.type === 'text' || child.type === 'text_special') text += child.content;
    else if (child.type === 'softbreak' || child.type === 'hardbreak') text += '\n';
    else if (child.type === 'html_inline' && (child.content === '<code>' || child.content === '</code>')) continue;
    else markup.push(child.type === 'html_inline' ? child.content : child.type);
  }
  return { text, markup };
}

/** Every paragraph, heading, list item and table cell, in order. */
export function inlines(source: string): Shown[] {
  return md
    .parse(source, {})
    .filter((t) => t.type === 'inline')
    .map(shown);
}

/** The tables' rows (header row included), each as its cells. */
export function tableRows(source: string): Shown[][] {
  const rows: Shown[][] = [];
  let row: Shown[] | undefined;
  for (const t of md.parse(source, {})) {
    if (t.type === 'tr_open') row = [];
    else if (t.type === 'tr_close' && row) {
      rows.push(row);
      row = undefined;
    }
    else if (t.type === 'inline' && row) row.push(shown(t));
  }
  return rows;
}

/** The rendered HTML, for checks on blocks (<details>, comments). */
export const renderHtml = (source: string): string => md.render(source);
