export async function testEmail(): Promise<number> {
  process.stderr.write('telemetry: test-email is not available yet\n');
  return 1;
}
