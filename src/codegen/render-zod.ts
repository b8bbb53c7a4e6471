// generated/zod.ts: zod v4 schemas for every function's arguments and results, and for the enum
// and composite types they use. They validate the JSON the HTTP door returns (and the server-side
// client, which asks Postgres for the same JSON).
import { resultColumns } from '../catalog/introspect.ts';
import { header } from './render-database.ts';
import { zodDomainDeclarations } from './domains.ts';
import { prop, schemaConst, str, zodConstName, zodObject, zodType, type FnModel, type Model } from './model.ts';

function argsSchema(m: Model, f: FnModel, indent: string): string {
  if (f.inputs.length === 0) return 'z.strictObject({})';
  const lines = f.inputs.map((a) => {
    const z = zodType(m, a.typeOid, 'arg', `${indent}  `);
    return `${indent}  ${prop(a.name)}: ${a.hasDefault ? `${z}.nullable().optional()` : z},`;
  });
  return `z.strictObject({\n${lines.join('\n')}\n${indent}})`;
}

function returnsSchema(m: Model, f: FnModel, indent: string): string {
  const { fn } = f;
  switch (f.returns) {
    case 'void':
      return 'z.undefined()';
    case 'scalar':
      return `${zodType(m, fn.returnTypeOid, 'result', indent)}.nullable()`;
    case 'scalars':
      return `z.array(${zodType(m, fn.returnTypeOid, 'result', indent)}.nullable())`;
    case 'row':
    case 'rows': {
      const row = fn.outputs.length > 0
        ? zodObject(m, resultColumns(m.catalog, fn), 'result', indent)
        : zodType(m, fn.returnTypeOid, 'result', indent);
      return f.returns === 'rows' ? `z.array(${row})` : row;
    }
  }
}

function union(parts: string[]): string {
  const unique = [...new Set(parts)];
  return unique.length === 1 ? unique[0]! : `z.union([${unique.join(', ')}])`;
}

export function renderZod(m: Model): string {
  const out: string[] = [
    header(m, 'zod v4 schemas of every exposed function\'s arguments and result, and of the types they use.'),
    '// They check the JSON form (what the HTTP door and the server-side client return); see docs/typed-clients.md.',
    "import { z } from 'zod';",
    "import type { Json } from './database.ts';",
    '',
    '/** json/jsonb values: any JSON (typed as database.ts\'s Json, which also admits undefined object members). */',
    'export const json: z.ZodType<Json> = z.json();',
    '',
    ...zodDomainDeclarations(),
    '',
  ];
  for (const e of m.enums) out.push(`export const ${zodConstName(e)} = z.enum([${e.enumLabels.map(str).join(', ')}]);`);
  if (m.enums.length) out.push('');
  for (const c of m.composites) {
    out.push(`export const ${zodConstName(c)} = ${zodObject(m, c.attributes, 'result', '')};`);
  }
  if (m.composites.length) out.push('');
  for (const s of m.schemas) {
    const ind = '    ';
    const enums = s.enums.map((e) => `${ind}${prop(e.name)}: ${zodConstName(e)},`).join('\n');
    const comps = [...s.composites]
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((c) => `${ind}${prop(c.name)}: ${zodConstName(c)},`)
      .join('\n');
    const fns = s.functions
      .map(([name, overloads]) => {
        const inner = `${ind}  `;
        const args = union(overloads.map((f) => argsSchema(m, f, inner)));
        const returns = union(overloads.map((f) => returnsSchema(m, f, inner)));
        return `${ind}${prop(name)}: {\n${ind}  Args: ${args},\n${ind}  Returns: ${returns},\n${ind}},`;
      })
      .join('\n');
    out.push(
      `export const ${schemaConst(s.name)} = {`,
      `  Enums: {${enums ? `\n${enums}\n  ` : ''}},`,
      `  CompositeTypes: {${comps ? `\n${comps}\n  ` : ''}},`,
      `  Functions: {${fns ? `\n${fns}\n  ` : ''}},`,
      '} as const;',
      '',
    );
  }
  out.push(
    '/** Schemas by exposed schema name (`schemas.api.Functions.create_product_batch.Args`). */',
    `export const schemas = {\n${m.schemas.map((s) => (prop(s.name) === schemaConst(s.name) ? `  ${s.name},` : `  ${prop(s.name)}: ${schemaConst(s.name)},`)).join('\n')}\n} as const;`,
    '',
  );
  return out.join('\n');
}
