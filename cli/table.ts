// Column tables for text output, borderless like kubectl's, via cli-table3.
import Table from 'cli-table3';

const NO_BORDER = {
  top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
  left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '  ',
};

/** `head` in capitals, then one row per entry; columns as wide as their widest cell. */
export function table(head: string[], rows: (string | number)[][], indent = ''): string {
  const t = new Table({ head: head.map((h) => h.toUpperCase()), chars: NO_BORDER, style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 } });
  t.push(...rows.map((r) => r.map(String)));
  return t
    .toString()
    .split('\n')
    .map((l) => indent + l.trimEnd())
    .join('\n');
}
