// A passing test: .ci/gate runs it through `npm test` and expects exit 0.
import { expect, it } from 'vitest';

it('passes', () => {
  expect(1).toBe(1);
});
