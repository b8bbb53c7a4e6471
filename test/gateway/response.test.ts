// The Response step on its own (no database): from a call's result row to status, headers and body —
// Content-Range and 206/416, Preference-Applied, Content-Type/-Profile, response.status/headers set
// from SQL — and errors to PostgREST's body with Proxy-Status.
import { describe, expect, test } from 'vitest';
import type { Routine } from '../../src/gateway/cache.ts';
import { ApiError, fromPgError, pgrst } from '../../src/gateway/errors.ts';
import type { CallPlan } from '../../src/gateway/plan.ts';
import { parseApiRequest } from '../../src/gateway/request.ts';
import { callResponse, errorResponse, infoResponse, reasonPhrase } from '../../src/gateway/response.ts';

const settings = { schemas: ['api'], maxRows: null, maxJsonDepth: 64 };
const request = (method = 'GET', headers: Record<string, string> = {}) => parseApiRequest({ method, url: '/rpc/f', headers, body: Buffer.from('{}') }, settings);

function plan(o: { kind?: Routine['kind']; returnsSet?: boolean; offset?: number; media?: CallPlan['media']['kind']; prefer?: Partial<CallPlan['preferences']>; extra?: Partial<CallPlan> } = {}): CallPlan {
  const kind = o.media ?? 'json';
  const mime = { json: 'application/json', singular: 'application/vnd.pgrst.object+json', csv: 'text/csv', openapi: 'application/openapi+json' }[kind];
  const media: CallPlan['media'] = { kind, stripNulls: false, mime };
  return {
    kind: 'call',
    routine: { kind: o.kind ?? 'composite', returnsSet: o.returnsSet ?? true } as Routine,
    args: { kind: 'none' },
    shape: { conditions: [], offset: o.offset ?? 0, limit: null, count: false, media },
    media,
    preferences: { invalid: [], ...o.prefer },
    readOnly: true,
    rollback: false,
    postCheck: false,
    ...o.extra,
  };
}

const header = (headers: [string, string][], name: string) => headers.filter(([k]) => k.toLowerCase() === name.toLowerCase()).map(([, v]) => v);

describe('call responses', () => {
  test('rows: 200, Content-Range with an unknown total, Vary, JSON content type, the body as Postgres made it', () => {
    const r = callResponse(request(), plan(), { total: null, page_total: 3, body: '[1,2,3]' });
    expect(r).toEqual({
      status: 200,
      headers: [['Content-Range', '0-2/*'], ['Vary', 'Accept, Prefer, Range'], ['Content-Type', 'application/json; charset=utf-8']],
      body: '[1,2,3]',
    });
  });

  test('a counted page smaller than the total is 206; an offset past the total is 416 with Content-Range */total', () => {
    const page = callResponse(request(), plan({ offset: 2, prefer: { count: 'exact' } }), { total: 10, page_total: 3, body: '[]' });
    expect(page.status).toBe(206);
    expect(header(page.headers, 'content-range')).toEqual(['2-4/10']);
    expect(header(page.headers, 'preference-applied')).toEqual(['count=exact']);
    const empty = callResponse(request(), plan({ prefer: { count: 'exact' } }), { total: 0, page_total: 0, body: '[]' });
    expect([empty.status, header(empty.headers, 'content-range')]).toEqual([200, ['*/0']]);
    let err: unknown;
    try {
      callResponse(request(), plan({ offset: 20 }), { total: 10, page_total: 0, body: '[]' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(416);
    expect((err as ApiError).headers).toEqual({ 'Content-Range': '*/10' });
  });

  test('void: 204 without body or Content-Type; HEAD: the headers without the body', () => {
    const v = callResponse(request('POST'), plan({ kind: 'void', returnsSet: false }), { total: null, page_total: 1, body: null });
    expect(v).toEqual({ status: 204, headers: [['Content-Range', '0-0/*'], ['Vary', 'Accept, Prefer, Range']] });
    const h = callResponse(request('HEAD'), plan(), { total: null, page_total: 2, body: '[1,2]' });
    expect(h.body).toBeUndefined();
    expect(header(h.headers, 'content-type')).toEqual(['application/json; charset=utf-8']);
  });

  test('media types: singular and CSV; Content-Profile after a profile header', () => {
    expect(header(callResponse(request(), plan({ media: 'singular' }), { page_total: 1, body: '{}' }).headers, 'content-type')).toEqual(['application/vnd.pgrst.object+json; charset=utf-8']);
    expect(header(callResponse(request(), plan({ media: 'csv' }), { page_total: 1, body: 'a\n1' }).headers, 'content-type')).toEqual(['text/csv; charset=utf-8']);
    expect(header(callResponse(request('GET', { 'accept-profile': 'api' }), plan(), { page_total: 0, body: '[]' }).headers, 'content-profile')).toEqual(['api']);
  });

  test('Preference-Applied lists the honoured preferences in PostgREST order', () => {
    const r = callResponse(request(), plan({ prefer: { count: 'exact', handling: 'strict', timezone: 'UTC', tx: 'rollback' }, extra: { txApplied: 'tx=rollback', maxAffected: 5 } }), { total: 1, page_total: 1, body: '[]' });
    expect(header(r.headers, 'preference-applied')).toEqual(['count=exact, tx=rollback, handling=strict, timezone=UTC, max-affected=5']);
  });

  test('response.status and response.headers from SQL: status replaced, same-named headers replaced, repeated names kept', () => {
    const r = callResponse(request(), plan(), {
      page_total: 1, body: '[]', response_status: ' 201 ',
      response_headers: '[{"content-type":"text/plain"},{"Set-Cookie":"a=1"},{"Set-Cookie":"b=2"},{"X-A":"x"}]',
    });
    expect(r.status).toBe(201);
    expect(header(r.headers, 'content-type')).toEqual(['text/plain']);
    expect(header(r.headers, 'set-cookie')).toEqual(['a=1', 'b=2']);
    expect(header(r.headers, 'x-a')).toEqual(['x']);
    expect(r.body).toBe('[]');
  });

  test('malformed response.headers → 500 PGRST111; a response.status that is no status code → 500 PGRST112', () => {
    for (const bad of ['{"a":"b"}', '["a"]', '[{"a":1}]', '[{"a":"1","b":"2"}]', 'nope']) {
      expect(() => callResponse(request(), plan(), { page_total: 0, body: '[]', response_headers: bad }), bad).toThrow(expect.objectContaining({ code: 'PGRST111', status: 500 }));
    }
    for (const bad of ['abc', '99', '600', '2.5']) {
      expect(() => callResponse(request(), plan(), { page_total: 0, body: '[]', response_status: bad }), bad).toThrow(expect.objectContaining({ code: 'PGRST112', status: 500 }));
    }
  });

  test('OPTIONS: the allowed methods, no body', () => {
    const r = infoResponse('OPTIONS,POST');
    expect(r.status).toBe(200);
    expect(r.body).toBeUndefined();
    expect(header(r.headers, 'allow')).toEqual(['OPTIONS,POST']);
    expect(r.defaults).toEqual([['Access-Control-Allow-Origin', '*']]);
  });
});

describe('error responses', () => {
  test('{code, message, details, hint} as JSON with Proxy-Status; the error\'s headers replace the gateway\'s', () => {
    const r = errorResponse(pgrst.range('too far', { 'Content-Range': '*/3' }), 'GET');
    expect(r.status).toBe(416);
    expect(r.headers).toEqual([['Content-Type', 'application/json; charset=utf-8'], ['Proxy-Status', 'PostgREST; error=PGRST103'], ['Content-Range', '*/3']]);
    expect(JSON.parse(r.body!)).toEqual({ code: 'PGRST103', message: 'Requested range not satisfiable', details: 'too far', hint: null });
    const own = errorResponse(new ApiError(429, 'QUOTA', 'm', null, null, { 'content-type': 'text/plain' }), 'GET');
    expect(header(own.headers, 'content-type')).toEqual(['text/plain']);
  });

  test('HEAD: no body', () => {
    expect(errorResponse(pgrst.invalidPath(), 'HEAD').body).toBeUndefined();
  });

  test('the reason phrase of a PTnnn error is its message, as UTF-8 bytes, without control characters', () => {
    const pt = fromPgError({ code: 'PT409', message: 'Transfer already accepted' }, true);
    expect(errorResponse(pt, 'GET')).toMatchObject({ status: 409, statusText: 'Transfer already accepted' });
    expect(errorResponse(fromPgError({ code: 'P0001', message: 'x' }, true), 'GET').statusText).toBeUndefined();
    expect(reasonPhrase('Café\r\n1\t2')).toBe('Caf\u00c3\u00a9  1\t2');
  });
});
