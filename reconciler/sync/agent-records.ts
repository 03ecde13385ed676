// The agents table as the status views read it (the agent hub writes it).
import type { Store } from '../store/db.ts';
import { agents } from '../store/tables/core.ts';

export class AgentRecords {
  constructor(private readonly store: Store) {}

  all() {
    return this.store.db.select().from(agents).all();
  }
}
