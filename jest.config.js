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
  // A stray keep-alive socket or timer in a test must not hang CI after every test has finished.
  forceExit: true,
};
