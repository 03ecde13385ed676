// The editor contract: the real yaml-language-server (spoken to over LSP stdio, as an editor does)
// checks every document of every example spec against schema/json, through the modelines the
// files carry, and reports a mistake in any document at its line.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const specsDir = join(root, 'specs');
const serverBin = join(dirname(createRequire(import.meta.url).resolve('yaml-language-server/package.json')), 'bin', 'yaml-language-server');

interface Diagnostic {
  range: { start: { line: number; character: number } };
  message: string;
}
type Message = { id?: number; method?: string; params?: unknown; result?: unknown; error?: unknown };

/** A minimal LSP client: Content-Length framed JSON-RPC over the server's stdio. */
class LspClient {
  private buffer = Buffer.alloc(0);
  private nextId = 1;
  private readonly pending = new Map<number, (result: unknown) => void>();
  private readonly diagnostics = new Map<string, (d: Diagnostic[]) => void>();
  private readonly proc: ChildProcessWithoutNullStreams;

  constructor() {
    this.proc = spawn(process.execPath, [serverBin, '--stdio'], { stdio: 'pipe' });
    this.proc.stdout.on('data', (chunk: Buffer) => this.read(chunk));
  }

  private read(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = Number(/Content-Length: (\d+)/i.exec(this.buffer.subarray(0, end).toString())?.[1]);
      if (this.buffer.length < end + 4 + length) return;
      const message = JSON.parse(this.buffer.subarray(end + 4, end + 4 + length).toString()) as Message;
      this.buffer = this.buffer.subarray(end + 4 + length);
      this.handle(message);
    }
  }

  private handle(message: Message): void {
    if (message.method === 'textDocument/publishDiagnostics') {
      const { uri, diagnostics } = message.params as { uri: string; diagnostics: Diagnostic[] };
      this.diagnostics.get(uri)?.(diagnostics);
    } else if (message.method !== undefined && message.id !== undefined) {
      // Server-to-client requests (workspace/configuration, capability registration): answer plainly.
      const result = message.method === 'workspace/configuration' ? [{ validate: true, schemas: {} }] : null;
      this.send({ jsonrpc: '2.0', id: message.id, result });
    } else if (message.id !== undefined) {
      this.pending.get(message.id)?.(message.result);
    }
  }

  private send(message: object): void {
    const body = JSON.stringify(message);
    this.proc.stdin.write(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  }

  request(method: string, params: unknown): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.send({ jsonrpc: '2.0', id, method, params });
    });
  }

  notify(method: string, params: unknown): void {
    this.send({ jsonrpc: '2.0', method, params });
  }

  /**
   * Opens a document (it need not exist on disk: the text travels in the message) and waits for its
   * diagnostics. Use a fresh path each time: closing publishes an empty list for the old one.
   */
  diagnose(path: string, text: string): Promise<Diagnostic[]> {
    const uri = pathToFileURL(path).href;
    return new Promise((resolve) => {
      this.diagnostics.set(uri, (d) => {
        this.diagnostics.delete(uri);
        this.notify('textDocument/didClose', { textDocument: { uri } });
        resolve(d);
      });
      this.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'yaml', version: 1, text } });
    });
  }

  async start(): Promise<void> {
    await this.request('initialize', {
      processId: process.pid,
      rootUri: pathToFileURL(root).href,
      capabilities: { workspace: { configuration: true } },
    });
    this.notify('initialized', {});
    this.notify('workspace/didChangeConfiguration', { settings: { yaml: { validate: true, schemas: {} } } });
  }

  stop(): void {
    this.proc.kill();
  }
}

function specFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? specFiles(join(dir, e.name)) : e.name.endsWith('.yaml') ? [join(dir, e.name)] : [],
  );
}

/** 0-based line of the first line containing `needle`, after `from`. */
function lineOf(text: string, needle: string, from = 0): number {
  const lines = text.split('\n');
  const i = lines.findIndex((l, n) => n >= from && l.includes(needle));
  if (i < 0) throw new Error(`${needle} not in text`);
  return i;
}

describe('yaml-language-server over LSP', () => {
  const lsp = new LspClient();
  beforeAll(() => lsp.start(), 30_000);
  afterAll(() => lsp.stop());

  const examples = specFiles(specsDir);
  it('finds the example specs', () => expect(examples.length).toBeGreaterThanOrEqual(5));

  for (const file of examples) {
    it(`${relative(root, file)}: no diagnostics`, async () => {
      const text = readFileSync(file, 'utf8');
      expect(await lsp.diagnose(file, text)).toEqual([]);
    }, 30_000);
  }

  // Each mistake goes into a multi-document example: in its first document and in a later one.
  const templates = readFileSync(join(specsDir, 'templates.yaml'), 'utf8');
  const environments = readFileSync(join(specsDir, 'environments.yaml'), 'utf8');
  const platform = readFileSync(join(specsDir, 'platform.yaml'), 'utf8');
  const second = (text: string) => lineOf(text, '---');
  /** Replaces the first `from` at or after line `after` (0-based). */
  const edit = (text: string, from: string, to: string, after = 0) => {
    const lines = text.split('\n');
    const i = lineOf(text, from, after);
    lines[i] = lines[i]!.replace(from, to);
    return { text: lines.join('\n'), line: i };
  };

  const cases: Array<{ name: string; file: string; text: string; from: string; to: string; after: number; message: RegExp }> = [
    { name: 'unknown key, first document', file: 'templates.yaml', text: templates, from: '  ttl: 14d', to: '  tll: 14d', after: 0, message: /not allowed/i },
    { name: 'unknown key, later document', file: 'templates.yaml', text: templates, from: 'spec:', to: 'spce:', after: second(templates), message: /not allowed|missing property/i },
    { name: 'misspelled kind, later document', file: 'templates.yaml', text: templates, from: 'kind: SandboxTemplate', to: 'kind: SandboxTemplat', after: second(templates), message: /SandboxTemplate/ },
    { name: 'wrong type, first document', file: 'environments.yaml', text: environments, from: 'metadata: { name: common }', to: 'metadata: { name: 7 }', after: 0, message: /incorrect type|string/i },
    { name: 'wrong type, later document', file: 'environments.yaml', text: environments, from: 'metadata: {', to: 'metadata: [', after: second(environments), message: /incorrect type|object/i },
    { name: 'bad enum, later document', file: 'environments.yaml', text: environments, from: 'kind: Environment', to: 'kind: Enviroment', after: second(environments), message: /Environment/ },
    { name: 'bad build type names every type', file: 'platform.yaml', text: platform, from: 'type: ', to: 'type: docker', after: 0, message: /image.*dockerfile.*host/ },
  ];

  for (const [n, c] of cases.entries()) {
    it(`${c.file}: ${c.name} is reported at its line`, async () => {
      const { text, line } = edit(c.text, c.from, c.to, c.after);
      const diagnostics = await lsp.diagnose(join(specsDir, `lsp-check-${n}-${c.file}`), text);
      expect(diagnostics.length, JSON.stringify(diagnostics)).toBeGreaterThan(0);
      const here = diagnostics.filter((d) => d.range.start.line === line);
      expect(here.map((d) => d.message).join('\n'), JSON.stringify(diagnostics)).toMatch(c.message);
    }, 30_000);
  }
});
