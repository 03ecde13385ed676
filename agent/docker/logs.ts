// Docker multiplexes a non-TTY container's stdout and stderr into one stream of frames, each with an
// 8-byte header (stream, 3 zero bytes, big-endian length). Pure.
export function demuxLogs(buf: Buffer): string[] {
  const chunks: string[] = [];
  let i = 0;
  const framed = buf.length >= 8 && (buf[0] === 1 || buf[0] === 2) && buf[1] === 0 && buf[2] === 0 && buf[3] === 0;
  if (!framed) return splitLines(buf.toString('utf8'));
  while (i + 8 <= buf.length) {
    const len = buf.readUInt32BE(i + 4);
    chunks.push(buf.subarray(i + 8, i + 8 + len).toString('utf8'));
    i += 8 + len;
  }
  return splitLines(chunks.join(''));
}

function splitLines(s: string): string[] {
  const lines = s.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  return lines;
}
