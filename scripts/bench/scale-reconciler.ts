// The reconciler of scale.bench.ts, in a process of its own so its RSS is the reconciler's alone
// (the simulated agents and the bench's own copy of the specs stay in the parent). Started as
// `node --import tsx scale-reconciler.ts <specs> <data> <port> <node>...`; prints one JSON line
// { url, tokens } once listening, and stops on SIGTERM.
import { startReconciler } from '../../reconciler/index.ts';

const [specsDir, dataDir, port, ...nodes] = process.argv.slice(2);
if (!specsDir || !dataDir || !port) throw new Error('usage: scale-reconciler.ts <specs> <data> <port> <node>...');
const rec = await startReconciler({ specsDir, dataDir, port: Number(port), adminPassword: 'scale-admin-password-1' });
const tokens = Object.fromEntries(nodes.map((n) => [n, rec.addLocalAgentToken(n)]));
process.stdout.write(`${JSON.stringify({ url: rec.url, tokens })}\n`);
process.once('SIGTERM', () => void rec.stop().then(() => process.exit(0)));
