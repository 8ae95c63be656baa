// Credentials in service URLs (`http://user:pass@host`, `smtp://user:pass@host`): taken out of
// the URL once, so what is logged or shown never holds them, and sent the way each protocol wants.

/** Percent-decoding that never throws: a `%zz` in a password is taken as typed. */
function decodeUrlPart(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** The user and password a URL carries, or null. */
export function credentialsOf(url: URL): { user: string; pass: string } | null {
  return url.username || url.password ? { user: decodeUrlPart(url.username), pass: decodeUrlPart(url.password) } : null;
}

/**
 * An HTTP endpoint's URL without its credentials, and the Authorization header to send: a bearer
 * `token` when given, else basic auth from the URL's user and password, else none.
 */
export function httpAuth(text: string, token: string | undefined): { url: string; authorization: string | null } {
  const url = new URL(text);
  const creds = credentialsOf(url);
  url.username = '';
  url.password = '';
  const authorization = token
    ? `Bearer ${token}`
    : creds
      ? `Basic ${Buffer.from(`${creds.user}:${creds.pass}`).toString('base64')}`
      : null;
  return { url: url.href, authorization };
}

/** Reads at most `limit` bytes of a response body as text, and lets the rest go unread. */
export async function readCapped(res: Response, limit = 64 << 10): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < limit) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
  } catch {
    // a body cut short says no more than what arrived
  } finally {
    void reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).subarray(0, limit).toString('utf8');
}
