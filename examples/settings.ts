/** Where the examples find Till and which key they use: both come from the environment. */
export interface Settings {
  /** Base URL of a running Till, e.g. http://localhost:4000. */
  tillUrl: string;
  /** A test-mode secret key (api_test_sk_…): the sandbox merchant's is in .data/sandbox.json. */
  secretKey: string;
}

/** TILL_URL (default http://localhost:4000, where `npm start` listens) and TILL_SECRET_KEY. */
export function settingsFromEnv(env: NodeJS.ProcessEnv = process.env): Settings {
  const secretKey = env.TILL_SECRET_KEY;
  if (!secretKey) {
    console.error('Set TILL_SECRET_KEY to a test secret key (api_test_sk_…), e.g. from .data/sandbox.json.');
    process.exit(2);
  }
  return { tillUrl: env.TILL_URL ?? 'http://localhost:4000', secretKey };
}
