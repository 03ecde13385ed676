import { defineConfig } from 'vitest/config';

// Two projects: `unit` is pure logic (fast, parallel); `integration` talks to the real Docker
// engine, git, SQLite, Caddy and Chromium, so its files run one at a time on these 2-core machines.
export default defineConfig({
  test: {
    globalSetup: ['test/support/build-cli.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['{schema,core,reconciler,agent,cli,scripts,test}/**/*.test.ts'],
          exclude: ['**/*.int.test.ts', 'node_modules/**'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['**/*.int.test.ts'],
          exclude: ['node_modules/**'],
          pool: 'forks',
          poolOptions: { forks: { singleFork: true } },
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
