/**
 * The layers of ../shared/DESIGN.md ("Layout of the repository"), checked by dependency-cruiser in
 * `npm run lint`: a lower layer never imports a higher one, the domain never imports React or Ink,
 * and the simulator takes nothing from the domain but its UPID helpers.
 *
 *   util  <-  api  <-  tasks  <-  ui  <-  cli        sim: tasks/upid and util only
 *
 * Tests outside test/cli/ never import src/cli/: the board's domain lives in the runtime (src/tasks).
 */
const layer = (name) => `^src/${name}/`;
const not = (...names) => `^src/(?!(${names.join('|')})/)[^/]+/`;

module.exports = {
  forbidden: [
    {
      name: 'util-imports-nothing-of-ours',
      comment: 'src/util holds dependency-free helpers every layer may use.',
      severity: 'error',
      from: { path: layer('util') },
      to: { path: not('util') },
    },
    {
      name: 'api-imports-only-util',
      severity: 'error',
      from: { path: layer('api') },
      to: { path: not('api', 'util') },
    },
    {
      name: 'tasks-imports-only-api-and-util',
      severity: 'error',
      from: { path: layer('tasks') },
      to: { path: not('tasks', 'api', 'util') },
    },
    {
      name: 'domain-never-imports-react',
      comment: 'The poller, the runtime and the actions run without a terminal: no React, no Ink.',
      severity: 'error',
      from: { path: '^src/(api|tasks|util|sim)/' },
      to: { path: 'node_modules/(react|ink|ink-[^/]+|@alcalzone/ink-table|react-reconciler)/' },
    },
    {
      name: 'sim-imports-only-upid-and-util',
      severity: 'error',
      from: { path: layer('sim') },
      to: { path: '^src/(?!(sim|util)/|tasks/upid\\.ts$)' },
    },
    {
      name: 'ui-imports-only-tasks-and-util',
      severity: 'error',
      from: { path: layer('ui') },
      to: { path: not('ui', 'tasks', 'util') },
    },
    {
      name: 'only-cli-tests-import-cli',
      comment:
        'The domain is tested on the runtime (src/tasks); only the command tests reach into src/cli (the benchmark builds the bundle).',
      severity: 'error',
      from: { path: '^test/(?!cli/|bench/)' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'no-circular-layers',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true, path: '^src/', pathNot: '^src/(sim|ui|cli)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^dist/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
      extensions: ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.json'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
