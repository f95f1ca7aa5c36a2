import { expect } from '@open-wc/testing';
import { KibitzError } from '../../src/errors.js';

/** The KibitzError code a promise rejects with, or 'resolved'. */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    expect(err).to.be.instanceOf(KibitzError);
    return (err as KibitzError).code;
  }
  return 'resolved';
}
