// URLs in logs and messages: the password never appears, whatever it contains.

/** The URL with its password replaced by `***` (user kept); a URL that does not parse is hidden whole. */
export function redact(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return '(a URL that does not parse; not shown, it may hold a password)';
  }
  if (parsed.password) parsed.password = '***';
  return parsed.href;
}
