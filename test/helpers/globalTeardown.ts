export default async function globalTeardown(): Promise<void> {
  await globalThis.__QBSYNC_TEMPORAL__?.stop();
}
