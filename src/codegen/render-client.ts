// generated/client.ts: the typed server-side client (postgres.js) — a catalogue of the exposed
// functions (argument names, casts, result shape, volatility, result schema) handed to the runtime.
import { readFileSync } from 'node:fs';
import { header } from './render-database.ts';
import { argKind, castType, prop, schemaConst, str, type FnModel, type Model } from './model.ts';

/** Function settings PostgREST applies to the whole transaction (db-hoisted-tx-settings' default). */
const HOISTABLE = new Set(['statement_timeout', 'plan_filter.statement_cost_limit', 'default_transaction_isolation']);

export const RUNTIME_SOURCE = readFileSync(new URL('./runtime.ts', import.meta.url), 'utf8');

export function renderRuntime(m: Model): string {
  return `${header(m, 'Runtime of the typed server-side client (a verbatim copy of src/codegen/runtime.ts).')}\n${RUNTIME_SOURCE}`;
}

function renderMeta(m: Model, schema: string, name: string, f: FnModel, indent: string): string {
  const i2 = `${indent}  `;
  const args = f.inputs.map((a) => {
    const parts = [
      `name: ${str(a.name)}`,
      `cast: ${str(castType(m.catalog, a.typeOid))}`,
      `kind: ${str(argKind(m.catalog, a.typeOid))}`,
      `required: ${!a.hasDefault}`,
    ];
    if (a.mode === 'variadic') parts.push('variadic: true');
    return `${i2}  { ${parts.join(', ')} },`;
  });
  const settings = Object.entries(f.fn.settings)
    .filter(([k]) => HOISTABLE.has(k))
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${prop(k)}: ${str(v)}`);
  const lines = [
    `${i2}schema: ${str(schema)},`,
    `${i2}name: ${str(name)},`,
    `${i2}args: [${args.length ? `\n${args.join('\n')}\n${i2}` : ''}],`,
    `${i2}returns: ${str(f.returns)},`,
    `${i2}volatility: ${str(f.fn.volatility)},`,
  ];
  if (settings.length) lines.push(`${i2}settings: { ${settings.join(', ')} },`);
  lines.push(`${i2}result: ${schemaConst(schema)}.Functions${prop(name) === name ? `.${name}` : `[${str(name)}]`}.Returns,`);
  return `${indent}{\n${lines.join('\n')}\n${indent}},`;
}

export function renderClient(m: Model): string {
  const first = m.schemas[0]?.name ?? 'api';
  const body = m.schemas
    .map((s) => {
      const fns = s.functions
        .map(([name, overloads]) => `    ${prop(name)}: [\n${overloads.map((f) => renderMeta(m, s.name, name, f, '      ')).join('\n')}\n    ],`)
        .join('\n');
      return `  ${prop(s.name)}: {${fns ? `\n${fns}\n  ` : ''}},`;
    })
    .join('\n');
  return `${header(m, 'Typed server-side client: call the exposed functions as a user, over postgres.js.')}
// Same path as the HTTP gateway: one transaction, set_config('role'|'request.jwt.claims', …, true),
// named arguments bound and cast to the catalog types, the result as JSON checked with zod.
//
//   const lotline = createClient(postgres(process.env.DATABASE_URL!));   // connect as \`authenticator\`
//   const batch = await lotline.as({ sub: userId }).rpc('create_product_batch', { _brand_id, _product_id, _batch_number: 'L-1' });
import type { Sql } from 'postgres';
import type { Database } from './database.ts';
import { ${m.schemas.map((s) => schemaConst(s.name)).join(', ')} } from './zod.ts';
import { createRpcClient, type Catalogue, type ClientOptions, type RpcClient } from './runtime.ts';

export { RpcError, RpcResultError } from './runtime.ts';
export type { ClientOptions, Identity, RpcClient, RpcSession } from './runtime.ts';

/** Every callable function: arguments (name, cast, required), result shape, volatility, result schema. */
export const catalogue = {
${body}
} as const satisfies Catalogue;

export type LotlineClient = RpcClient<Database, ${str(first)}>;

/**
 * A client over a postgres.js pool. Connect as the gateway does (the \`authenticator\` role, which may
 * switch to \`anon\`/\`authenticated\`); \`.as({ sub, scope })\` or \`.anon()\` then \`.rpc(name, args)\`.
 */
export function createClient(sql: Sql, options?: ClientOptions): LotlineClient {
  return createRpcClient<Database, ${str(first)}>(sql, catalogue, ${str(first)}, options);
}
`;
}
