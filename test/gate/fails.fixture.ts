// A deliberately failing test: .ci/gate runs it through `npm test` and expects a non-zero exit.
import { expect, it } from 'vitest';

it('fails on purpose', () => {
  expect(1).toBe(2);
});
