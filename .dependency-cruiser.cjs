/**
 * The house rules on imports (README, "Layout"): each room may import only the rooms below it, and nothing imports
 * in a circle, type imports included. `npm run lint:imports` checks them; make test runs it.
 */
const TEMPORAL_WORKFLOW_API = '^node_modules/@temporalio/(workflow|common)/';

/** from: a room; to: what it must not import (a path regex). */
const forbid = (name, comment, from, to, extra = {}) => ({ name, comment, severity: 'error', from: { path: from }, to: { path: to, ...extra } });

module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      comment: 'Imports go one way: a cycle, even of types, means two modules each need the other to be read first.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'contract-imports-nothing-of-ours',
      comment: 'The contract is what workflows, activities and scripts share: it may import only the Temporal workflow API.',
      severity: 'error',
      from: { path: '^contract/' },
      to: { pathNot: `^contract/|${TEMPORAL_WORKFLOW_API}` },
    },
    {
      name: 'workflows-import-only-the-contract',
      comment: 'Workflow code is replayed in a deterministic sandbox: the contract, the workflow API and activity types only.',
      severity: 'error',
      from: { path: '^workflows/' },
      to: { pathNot: `^(workflows|contract|activities)/|${TEMPORAL_WORKFLOW_API}` },
    },
    {
      name: 'workflows-import-activities-as-types-only',
      comment: 'Activities run outside the sandbox; workflows call them through proxies and know only their types.',
      severity: 'error',
      from: { path: '^workflows/' },
      to: { path: '^activities/', dependencyTypesNot: ['type-only'] },
    },
    forbid(
      'only-workers-import-activities',
      'activities/ is what a worker registers, nobody\'s library: the CLI, detections, alerts and the store import the rooms it composes instead.',
      '^(contract|atlassian|store|alerts|detections|outputs|observability|cli|scripts|config)/',
      '^activities/',
    ),
    forbid(
      'building-blocks-import-no-runner',
      'The client, the store, alerts, detections and outputs are used by activities, workers and the CLI, never the other way.',
      '^(atlassian|store|alerts|detections|outputs|config)/',
      '^(workflows|workers|cli|scripts)/',
    ),
    forbid(
      'observability-sits-above-the-building-blocks',
      'Metrics and health read the client, the store, alerts and detections; those rooms record nothing themselves.',
      '^(contract|atlassian|store|alerts|detections|outputs|config)/',
      '^observability/',
    ),
    forbid('observability-imports-no-runner', 'Workers wire metrics and health up; observability/ knows no runner.', '^observability/', '^(workflows|workers|cli|scripts)/'),
    forbid('the-client-stands-alone', 'The Atlassian client knows HTTP and the contract\'s failure types, not our tables.', '^atlassian/', '^(store|alerts|detections)/'),
    forbid('the-store-knows-no-alerting', 'Tables are written by the rooms above the store.', '^store/', '^(alerts|detections|outputs)/'),
    forbid('alerts-know-no-detections', 'Detections open alerts; alerts do not know what raised them.', '^alerts/', '^detections/'),
    forbid('product-code-imports-no-test-code', 'Tests and benchmarks stand outside the product.', '^(contract|atlassian|store|alerts|detections|outputs|observability|activities|workflows|workers|cli|scripts|config|simulator)/', '^(test|bench|harness)/'),
    forbid('benchmarks-import-no-tests', 'Benchmarks and tests share harness/; a benchmark never reaches into a test file.', '^(bench|harness)/', '^test/'),
    {
      name: 'only-the-workflow-writes-source-settings',
      comment: "A running source's settings have one writer, its workflow, through its settings activity: anyone else who wrote them would leave the workflow holding other values than PostgreSQL.",
      severity: 'error',
      from: { pathNot: '^(activities/source-state|store/source-settings)\\.ts$' },
      to: { path: '^store/source-settings\\.ts$' },
    },
    {
      name: 'only-the-demo-runs-the-simulator',
      comment: 'The API simulator is a stand-in for Atlassian: the demo starts it, the product never calls it.',
      severity: 'error',
      from: { path: '^(contract|atlassian|store|alerts|detections|outputs|observability|activities|workflows|workers|cli|scripts|config)/', pathNot: '^scripts/stack/demo\\.ts$' },
      to: { path: '^simulator/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist|\\.data)/' },
    // Type-only imports count: they too make a cycle, and they are how workflows may see activities.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    // Lets a rule tell core modules and packages from our files.
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
