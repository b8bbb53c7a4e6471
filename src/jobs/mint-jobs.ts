// The mint job worker's step: one chunk of the least recently served open mint job, in its own transaction,
// as the lotline_worker role (sql/serials/mint-jobs.sql, app.mint_job_step). Also what a DBA runs by hand.
import type { Sql } from 'postgres';

export interface MintJobProgress {
  brand_id: string;
  id: string;
  status: 'queued' | 'running' | 'done' | 'failed';
  requested: number;
  minted: number;
  error_code: string | null;
}

/** Runs one chunk (of `chunk` serials; default: the database setting lotline.mint_job_chunk). Null: no open job. */
export async function mintJobStep(sql: Sql, chunk?: number): Promise<MintJobProgress | null> {
  return sql.begin(async (tx) => {
    await tx`set local role lotline_worker`;
    const [row] = await tx<MintJobProgress[]>`
      select brand_id, id, status, requested, minted, error_code from app.mint_job_step(${chunk ?? null}::integer)`;
    return row?.id ? row : null;
  }) as Promise<MintJobProgress | null>;
}
