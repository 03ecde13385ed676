// Markdown that shows spec values as the literal text they are, whatever they hold: a `|` keeps a
// table's columns, and backslashes, backticks, HTML, link and emphasis syntax are not markup. For PR
// comments (GitHub, GitLab, Gitea, Bitbucket: all CommonMark + GFM tables).

/** CommonMark lets every ASCII punctuation character be backslash-escaped; escaping them all leaves no markup. */
const ASCII_PUNCTUATION = /[!-/:-@[-`{-~]/g;
/**
 * Paragraphs and table cells are trimmed: a first or last whitespace character is written as a
 * character reference, which is no whitespace to the trimming (so the ones next to it stay too).
 */
const EDGE_SPACE = /^\s|\s$/g;
/** A line break would end the paragraph or table row. */
const LINE_BREAK = /[\r\n]/g;

const reference = (s: string): string => [...s].map((c) => `&#${c.codePointAt(0)};`).join('');

/**
 * Inline text that renders as exactly `s`. Markdown cannot carry NUL (it becomes U+FFFD), nor a
 * vertical tab or form feed at either end (trimmed, and invalid as a character reference).
 */
export function mdText(s: string): string {
  return s.replace(ASCII_PUNCTUATION, (c) => `\\${c}`).replace(EDGE_SPACE, reference).replace(LINE_BREAK, reference);
}

/** Literal text in monospace (a code span would keep backslashes and could not hold every backtick run). */
export const mdCode = (s: string): string => (s === '' ? '' : `<code>${mdText(s)}</code>`);

/** Text inside raw HTML (a `<summary>`), where markdown is not parsed. */
export const htmlText = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A GFM table of cells that are already markdown (mdText / mdCode). */
export function mdTable(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const row = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [row(header), row(header.map(() => '---')), ...rows.map(row)];
}

/** Folds `body` (markdown lines) under a summary (plain text); the blank lines let markdown resume inside. */
export function mdDetails(summary: string, body: readonly string[]): string[] {
  return [`<details><summary>${htmlText(summary)}</summary>`, '', ...body, '', '</details>'];
}
