// Issues the token of an agent node for `sdp agent` (and the compose `agent` service): a new one
// each run, replacing the node's previous token, printed once on stdout and stored only as a hash.
// Run it where the reconciler's data dir is (the server may be running: SQLite is shared safely):
//
//   node --import tsx docker/node-token.ts --data .sdp micro-1
//   docker compose exec reconciler node --import tsx docker/node-token.ts --data /data local
//
// `sdp up` makes its own local agent's token itself; this is for agents started apart.
import { resolve, join } from 'node:path';
import { createAudit } from '../reconciler/audit/audit.ts';
import { createAccounts } from '../reconciler/auth/accounts.ts';
import { isName } from '../reconciler/auth/input.ts';
import { openStore } from '../reconciler/store/db.ts';

function main(argv: string[]): number {
  const i = argv.indexOf('--data');
  const dataDir = resolve(i >= 0 ? (argv[i + 1] ?? '') : '.sdp');
  const node = argv.filter((a, j) => !a.startsWith('--') && argv[j - 1] !== '--data')[0];
  if (!node || !isName(node)) {
    console.error('usage: node --import tsx docker/node-token.ts [--data DIR] NODE   (NODE as in the Platform spec)');
    return 2;
  }
  const store = openStore(join(dataDir, 'sdp.db'));
  try {
    const token = createAccounts(store).rotateAgentToken(node);
    createAudit(store).record({ action: 'agent.token', actor: null, target: node, outcome: 'success', detail: { rotated: true } });
    console.log(token);
    console.error(`token of node ${node} issued (any previous one stops working); give it to the agent as SDP_AGENT_TOKEN`);
    return 0;
  } finally {
    store.close();
  }
}

process.exitCode = main(process.argv.slice(2));
