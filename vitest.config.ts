import {defineConfig} from 'vitest/config'

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'src/**/*.test.tsx', 'test/**/*.test.ts', 'test/**/*.test.tsx'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores on CI: forks keep heavy e2e tests from starving each other.
    pool: 'forks',
    // Builds or finds the real kube-apiserver and kubectl, and puts that kubectl first on PATH.
    globalSetup: ['test/real-cluster/global-setup.ts'],
  },
})
