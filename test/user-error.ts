import { OptixUserError } from '../src/errors.js';

/** Runs `f` and returns the OptixUserError it throws; fails when it throws nothing or another error. */
export function userError(f: () => unknown): OptixUserError {
  try {
    f();
  } catch (e) {
    if (e instanceof OptixUserError) return e;
    throw e;
  }
  throw new Error('expected an OptixUserError');
}
