import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { STACK_TRACE_LIMIT_PATH, WORKFLOWS_PATH, workflowBundleOptions } from '../../workers/workflow-bundle-options';

// The workflow bundle preloads the workflow and contract modules (workers/workflow-bundle-options.ts): each is evaluated
// once per workflow thread and shared by every cached workflow. State at module level would then be shared between
// workflows, which replays differently from how it ran: silent non-determinism. The SDK freezes what a module exports,
// but not what it keeps to itself, nor the inside of a Map or a Set. So module level in workflows/ and contract/ holds
// constants only, and what is not a primitive is read-only by type or frozen.

const root = path.join(__dirname, '..', '..');
const PRELOADED_ROOMS = ['workflows', 'contract'];
/** The one module whose whole job is a statement at module level: it sets one global, the same for every workflow. */
const STACK_TRACE_LIMIT_FILE = path.join('workflows', 'stack-trace-limit.ts');

/** Module-level calls that return descriptions or proxies holding no state of their own (the SDK's factories). */
const STATELESS_FACTORIES = new Set(['defineSignal', 'defineQuery', 'defineUpdate', 'defineSearchAttributeKey', 'proxyActivities', 'proxyLocalActivities', 'Object.freeze']);
const READ_ONLY_TYPE = /^(Readonly(Array|Map|Set)?<|readonly )/;

/** "line: what" for each piece of module-level state in one source file. */
function moduleLevelState(fileName: string, text: string): string[] {
  const file = ts.createSourceFile(fileName, text, ts.ScriptTarget.ES2022, true);
  const problems: string[] = [];
  const report = (node: ts.Node, what: string) => problems.push(`${fileName}:${file.getLineAndCharacterOfPosition(node.getStart(file)).line + 1}: ${what}`);
  for (const statement of file.statements) {
    if (ts.isVariableStatement(statement)) {
      const flags = statement.declarationList.flags;
      if (!(flags & ts.NodeFlags.Const)) {
        report(statement, `module-level ${flags & ts.NodeFlags.Let ? 'let' : 'var'}`);
        continue;
      }
      for (const declaration of statement.declarationList.declarations) {
        const why = mutableInitializer(declaration, file);
        if (why) report(declaration, `${declaration.name.getText(file)} is ${why}`);
      }
    } else if (ts.isClassDeclaration(statement)) {
      for (const member of statement.members) {
        const modifiers = ts.canHaveModifiers(member) ? (ts.getModifiers(member) ?? []) : [];
        const isStatic = modifiers.some((m) => m.kind === ts.SyntaxKind.StaticKeyword);
        const isReadonly = modifiers.some((m) => m.kind === ts.SyntaxKind.ReadonlyKeyword);
        if (isStatic && ts.isPropertyDeclaration(member) && !isReadonly) report(member, `static field ${member.name.getText(file)} of ${statement.name?.getText(file)}`);
        if (ts.isClassStaticBlockDeclaration(member)) report(member, `static block of ${statement.name?.getText(file)}`);
      }
    } else if (ts.isExpressionStatement(statement)) {
      report(statement, 'a statement run at module level');
    }
  }
  return problems;
}

/** Why a const's value could change after it is made, or undefined when it cannot. */
function mutableInitializer(declaration: ts.VariableDeclaration, file: ts.SourceFile): string | undefined {
  let value = declaration.initializer;
  if (!value) return undefined;
  if (declaration.type && READ_ONLY_TYPE.test(declaration.type.getText(file))) return undefined;
  while (ts.isParenthesizedExpression(value) || ts.isSatisfiesExpression(value) || ts.isAsExpression(value)) {
    if (ts.isAsExpression(value) && value.type.getText(file) === 'const') return undefined;
    value = value.expression;
  }
  if (ts.isArrowFunction(value) || ts.isFunctionExpression(value) || ts.isLiteralExpression(value) || ts.isNoSubstitutionTemplateLiteral(value)) return undefined;
  if (ts.isIdentifier(value) || ts.isPropertyAccessExpression(value) || ts.isBinaryExpression(value) || ts.isPrefixUnaryExpression(value) || ts.isTemplateExpression(value)) return undefined;
  if (value.kind === ts.SyntaxKind.TrueKeyword || value.kind === ts.SyntaxKind.FalseKeyword || value.kind === ts.SyntaxKind.NullKeyword) return undefined;
  if (ts.isNewExpression(value)) return 'a new object shared by every workflow (type it ReadonlySet, ReadonlyMap, ...)';
  if (ts.isArrayLiteralExpression(value) || ts.isObjectLiteralExpression(value)) return 'a mutable literal shared by every workflow (add `as const`, a Readonly type or Object.freeze)';
  if (ts.isCallExpression(value)) {
    const callee = value.expression.getText(file);
    return STATELESS_FACTORIES.has(callee) ? undefined : `made by ${callee}(), which may hold state shared by every workflow`;
  }
  return `a ${ts.SyntaxKind[value.kind]} that this check cannot tell is constant`;
}

function sourceFiles(room: string): string[] {
  return readdirSync(path.join(root, room), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
    .map((file) => path.join(room, file));
}

describe('the modules preloaded into the workflow thread', () => {
  it('are the stack-trace limit, the workflows, which import only the contract and the SDK, and the SDK', () => {
    // Anything else preloaded needs this check to cover it too.
    expect(workflowBundleOptions().preloadModules).toEqual([STACK_TRACE_LIMIT_PATH, WORKFLOWS_PATH, '@temporalio/workflow']);
  });

  it('hold no module-level mutable state in workflows/ and contract/', () => {
    const files = PRELOADED_ROOMS.flatMap(sourceFiles).filter((file) => file !== STACK_TRACE_LIMIT_FILE);
    expect(files.length).toBeGreaterThan(10);
    expect(files.flatMap((file) => moduleLevelState(file, readFileSync(path.join(root, file), 'utf8')))).toEqual([]);
  });

  it('let the stack-trace limit module set that one global and nothing else', () => {
    const file = ts.createSourceFile(STACK_TRACE_LIMIT_FILE, readFileSync(path.join(root, STACK_TRACE_LIMIT_FILE), 'utf8'), ts.ScriptTarget.ES2022, true);
    const statements = file.statements.filter((statement) => !ts.isExportDeclaration(statement)).map((statement) => statement.getText(file));
    expect(statements).toEqual([expect.stringMatching(/^Reflect\.deleteProperty\(Error, 'stackTraceLimit'\);$|^Error\.stackTraceLimit = \d+;$/)]);
  });

  it.each([
    ['let counter = 0;', 'module-level let'],
    ['export let latest: string | undefined;', 'module-level let'],
    ['var seen = 0;', 'module-level var'],
    ['const cache = new Map<string, number>();', 'cache is a new object'],
    ['const seen: string[] = [];', 'seen is a mutable literal'],
    ['export const DEFAULTS = { intervalSeconds: 60 };', 'DEFAULTS is a mutable literal'],
    ['const store = makeStore();', 'store is made by makeStore()'],
    ['export class Runs { static count = 0; }', 'static field count of Runs'],
    ['registerHandler();', 'a statement run at module level'],
  ])('fire on %s', (source, problem) => {
    expect(moduleLevelState('probe.ts', source)).toEqual([expect.stringContaining(`probe.ts:1: ${problem}`)]);
  });

  it('let constants, read-only values, frozen ones and the SDK factories pass', () => {
    const source = [
      "import { defineSignal, proxyActivities } from '@temporalio/workflow';",
      'export const MAX_PAGES = 50;',
      "const PREFIX = 'atlassian-source-';",
      'export const WAIT_MS = 5 * 60_000;',
      "const FAILURES: ReadonlySet<string> = new Set(['AuthRejected']);",
      "const UNITS: ReadonlyArray<[string, number]> = [['s', 1]];",
      "export const TABLES = ['alerts'] as const;",
      'const EMPTY: Readonly<{ n: number }> = { n: 0 };',
      'const FROZEN = Object.freeze({ n: 0 });',
      "export const stop = defineSignal('stop');",
      "const { ingestPage } = proxyActivities<{ ingestPage(): Promise<void> }>({ startToCloseTimeout: '1 minute' });",
      'export class Timer { static readonly LIMIT = 3; private pending = 0; }',
      'export function run(): number { let local = 0; local++; return local; }',
      'export const describe = (n: number) => `${n} pages`;',
    ].join('\n');
    expect(moduleLevelState('clean.ts', source)).toEqual([]);
  });
});
