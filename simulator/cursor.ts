import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** What a cursor remembers: the query it continues and where in the org's log it stands. */
export interface CursorState {
  orgId: string;
  /** Log position of the next event to serve (counting down when `descending`). */
  position: number;
  descending: boolean;
  fromMs: number | null;
  toMs: number | null;
  issuedAtMs: number;
}

/**
 * Opaque, signed cursors. The signature makes garbage and edited cursors detectable (400 ADMIN-400-1), and the
 * per-process secret means a restarted simulator refuses the cursors of the previous run, as a real server may.
 */
export class CursorCodec {
  readonly #secret: Buffer;

  constructor(secret: Buffer = randomBytes(32)) {
    this.#secret = secret;
  }

  encode(state: CursorState): string {
    const payload = Buffer.from(
      JSON.stringify([state.orgId, state.position, state.descending ? 1 : 0, state.fromMs, state.toMs, state.issuedAtMs]),
    ).toString('base64url');
    return `${payload}.${this.#sign(payload)}`;
  }

  /** The cursor's state, or null when it is not one of ours. */
  decode(cursor: string): CursorState | null {
    const dot = cursor.indexOf('.');
    if (dot <= 0) return null;
    const payload = cursor.slice(0, dot);
    const signature = Buffer.from(cursor.slice(dot + 1));
    const expected = Buffer.from(this.#sign(payload));
    if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) return null;
    try {
      const [orgId, position, descending, fromMs, toMs, issuedAtMs] = JSON.parse(Buffer.from(payload, 'base64url').toString());
      return { orgId, position, descending: descending === 1, fromMs, toMs, issuedAtMs };
    } catch {
      return null;
    }
  }

  #sign(payload: string): string {
    return createHmac('sha256', this.#secret).update(payload).digest('base64url').slice(0, 22);
  }
}
