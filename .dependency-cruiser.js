/**
 * The import rules `npm run lint` checks in src/ (dependency-cruiser). Type-only imports count too:
 * a type two modules both need is a shared piece like any other, and belongs to the lower layer.
 */
export default {
  forbidden: [
    {
      name: 'no-circular',
      comment:
        'Modules that import each other cannot be understood, tested or loaded one without the other: move what both need down, to domain/ or a small shared module.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'events-below-services',
      comment:
        'Data flows one way, surface → service → domain/db → outbox → pub/sub and webhooks: the outbox, the relay and the feeds never reach back up into the services that feed them.',
      severity: 'error',
      from: { path: '^src/events/' },
      to: { path: '^src/services/' },
    },
    {
      name: 'events-do-not-know-webhooks',
      comment:
        'The relay only publishes: what a published event calls for elsewhere (webhook deliveries) is a sink handed to it in app.ts.',
      severity: 'error',
      from: { path: '^src/events/' },
      to: { path: '^src/webhooks/' },
    },
    {
      name: 'domain-imports-nothing',
      comment:
        'domain/ holds the pure rules everything else builds on, so it depends on nothing else in src/.',
      severity: 'error',
      from: { path: '^src/domain/' },
      to: { path: '^src/', pathNot: '^src/domain/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    // Resolve packages' `exports` subpaths (`graphql-ws/use/ws`) the way Node's ESM loader does.
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'node', 'default'] },
  },
};
