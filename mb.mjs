import { openSync, readSync } from 'node:fs';
const { Ingest } = await import('/work/main/dist/apps/analytics/ingest.js');
const { LineReader } = await import('/work/main/dist/apps/analytics/source/read-lines.js');
const fd = openSync('/tmp/big.csv','r');
const buf = Buffer.allocUnsafe(64<<20); const n = readSync(fd, buf, 0, buf.length, 0);
const data = buf.subarray(0, n); let lines = 0;
for(let s=0,nl=data.indexOf(10); nl>=0; s=nl+1, nl=data.indexOf(10,s)) lines++;
const R = Number(process.argv[2] ?? 5); let best = Infinity;
for (let r=0;r<R;r++){ const s=performance.now(); const ing = new Ingest(null); const rd = new LineReader(65536, ing); ing.fileStarted(); rd.feed(data); const e=performance.now(); best=Math.min(best,(e-s)*1e6/lines); }
console.log('reader+ingest best', best.toFixed(1), 'ns/line');
