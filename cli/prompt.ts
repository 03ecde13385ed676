// Reads a password or secret: typed at a terminal without echo (npm's `read`), or piped
// (`printf %s "$V" | sdp secret set ...`). One trailing newline of piped input is dropped, as `echo` adds one.
export async function readHidden(prompt: string, input: NodeJS.ReadStream = process.stdin): Promise<string> {
  if (!input.isTTY) {
    const chunks: Buffer[] = [];
    for await (const chunk of input) chunks.push(Buffer.from(chunk as Buffer));
    return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  }
  const { read } = await import('read');
  return read({ prompt, silent: true, replace: '', input, output: process.stderr });
}
