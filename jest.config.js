/** Jest runs the TypeScript sources as native ESM through @swc/jest (decorators + metadata). */
export default {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
          target: 'es2022',
          keepClassNames: true,
        },
        module: { type: 'es6' },
      },
    ],
  },
  // Generous: a PGlite start under a loaded 2-core CI machine can take tens of seconds.
  testTimeout: 90000,
  maxWorkers: 2,
  // Each test file re-evaluates Till's modules (native ESM) and most start a PGlite: a worker that has
  // grown past this between files is replaced, so later files do not run in a bloated heap.
  workerIdleMemoryLimit: '1GB',
  // A stray keep-alive socket or timer in a test must not hang CI after every test has finished.
  forceExit: true,
};
