const { createSyntheticSource } = await import(process.argv[2] ?? '/work/main/dist/apps/engine/synthetic-source.js');
let best = Infinity, chk = 0;
for (let r = 0; r < 5; r++) { const s = createSyntheticSource(1); const t0 = performance.now(); for (let i = 0; i < 3e6; i++) { const x = s(); chk += x.cpu + x.ram; } best = Math.min(best, (performance.now() - t0) / 3); }
console.log('ns/sample', best.toFixed(1), chk);
