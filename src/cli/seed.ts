// Demo data, created through the api functions as the demo user (the same path as a request).
import postgres from 'postgres';

export const DEMO_USER = 'demo-user';

export interface DemoIds {
  brandId: string;
  productId: string;
  created: boolean;
}

export async function seedDemo(databaseUrl: string, sub = DEMO_USER): Promise<DemoIds> {
  const sql = postgres(databaseUrl, { max: 1, prepare: false, onnotice: () => {} });
  try {
    return await sql.begin(async (tx) => {
      await tx`select set_config('role', 'authenticated', true),
                      set_config('request.jwt.claims', ${JSON.stringify({ sub, role: 'authenticated' })}, true)`;
      const brands = await tx<{ id: string }[]>`select id from api.list_my_brands() where slug like 'demo%' limit 1`;
      if (brands[0]) {
        const [p] = await tx<{ id: string }[]>`select id from api.list_products(_brand_id => ${brands[0].id}::uuid) order by created_at limit 1`;
        if (p) return { brandId: brands[0].id, productId: p.id, created: false };
      }
      const [brand] = brands[0] ? brands : await tx<{ id: string }[]>`select id from api.create_brand(_name => 'Demo Brand')`;
      const [product] = await tx<{ id: string }[]>`
        select id from api.create_product(_brand_id => ${brand!.id}::uuid, _name => 'Extra virgin olive oil 1L',
          _gtin => '4006381333931', _sku => 'EVOO-1L', _article_code => 'ART-EVOO-1', _serialized => true, _expirable => true)`;
      await tx`select api.create_product_batch(_brand_id => ${brand!.id}::uuid, _product_id => ${product!.id}::uuid,
                 _batch_number => 'BATCH-2026-001', _production_date => '2026-01-15', _quantity => 500,
                 _facility_ref => 'FAC-EU-01', _attributes => '{}'::jsonb)`;
      // the demo brand owns its GTIN, so the public views answer for it: it claims the GTIN, and a demo
      // platform administrator verifies the claim (in production an operator checks the GS1 licensee record)
      const [claim] = await tx<{ id: string }[]>`
        select id from api.claim_gtin_prefix(_brand_id => ${brand!.id}::uuid, _prefix => '4006381333931', _kind => 'gtin',
                                             _display_name => 'Demo Brand', _evidence => 'demo data')`;
      await tx`select set_config('request.jwt.claims', ${JSON.stringify({ sub: 'demo-operator', role: 'authenticated', scope: 'platform:admin' })}, true)`;
      await tx`select api.verify_gtin_claim(_brand_id => ${brand!.id}::uuid, _claim_id => ${claim!.id}::uuid, _note => 'demo data')`;
      return { brandId: brand!.id, productId: product!.id, created: true };
    });
  } finally {
    await sql.end();
  }
}
