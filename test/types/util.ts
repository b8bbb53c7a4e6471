// Type-level assertion helpers for the files in test/types/.
export type Equal<X, Y> = (<T>() => T extends X ? 1 : 2) extends <T>() => T extends Y ? 1 : 2 ? true : false;
/** `check<Equal<A, B>>()` compiles only when A and B are the same type. */
export function check<T extends true>(_proof?: T): void {}
