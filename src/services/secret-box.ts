import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const SEALED = 'enc:v1:';

/** Whether a stored secret is encrypted (else it was stored while no ROSTER_SECRET_KEY was set). */
export const isSealed = (stored: string): boolean => stored.startsWith(SEALED);

/**
 * Secrets Roster must be able to use again (webhook signing secrets: a digest cannot sign), kept
 * encrypted with AES-256-GCM under ROSTER_SECRET_KEY when it is set; as given otherwise.
 */
export class SecretBox {
  private readonly key: Buffer | null;

  constructor(secretKey: string | null) {
    this.key = secretKey === null ? null : createHash('sha256').update(secretKey).digest();
  }

  seal(plain: string): string {
    if (!this.key) return plain;
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
    return `${SEALED}${iv.toString('base64')}:${c.getAuthTag().toString('base64')}:${body.toString('base64')}`;
  }

  /** Whether this key opens a sealed secret (one sealed under another key does not). */
  opens(stored: string): boolean {
    if (!isSealed(stored) || !this.key) return false;
    try {
      this.open(stored);
      return true;
    } catch {
      return false;
    }
  }

  open(stored: string): string {
    if (!stored.startsWith(SEALED)) return stored;
    if (!this.key) throw new Error('a webhook secret is encrypted but ROSTER_SECRET_KEY is not set');
    const [iv, tag, body] = stored
      .slice(SEALED.length)
      .split(':')
      .map((p) => Buffer.from(p, 'base64'));
    const d = createDecipheriv('aes-256-gcm', this.key, iv);
    d.setAuthTag(tag);
    return Buffer.concat([d.update(body), d.final()]).toString('utf8');
  }
}
