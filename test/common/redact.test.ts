import test from 'ava';
import { redact } from '../../common/redact.js';

// [URL, what may be shown]: the password never appears, whatever it contains
const cases: [string, string][] = [
  ['smtp://alice:s3cret@mail.example.com:587', 'smtp://alice:***@mail.example.com:587'],
  ['smtp://alice:Hunter2@pw@mail.example.com', 'smtp://alice:***@mail.example.com'],
  ['smtps://bob:p%40ss%2Fw0rd@[::1]:465', 'smtps://bob:***@[::1]:465'],
  ['smtp://carol:%zz@host', 'smtp://carol:***@host'],
  ['smtp://user@host:25', 'smtp://user@host:25'],
  ['http://am:t0ken@127.0.0.1:9093', 'http://am:***@127.0.0.1:9093/'],
  ['smtp://alice:s3cr/et@host', '(a URL that does not parse; not shown, it may hold a password)'],
  ['not a url with secret', '(a URL that does not parse; not shown, it may hold a password)'],
];

for (const [url, shown] of cases) {
  test(`redact ${JSON.stringify(url)}`, (t) => {
    t.is(redact(url), shown);
    for (const secret of ['s3cret', 'Hunter2', 'p%40ss', 'zz', 't0ken', 's3cr', 'secret'])
      if (url.includes(secret) && !shown.includes(secret)) t.false(redact(url).includes(secret));
  });
}
