/** Who is signed in, in which mode, and what their role allows (the UI hides; the API refuses). */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Mode } from './graphql.js';
import type { Viewer } from './operations.js';

export interface Session {
  viewer: Viewer;
  mode: Mode;
  can(permission: string): boolean;
  /** Asks the server again who is signed in (after a refusal, sign-out or mode switch). */
  refresh(): void;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a signed-in screen');
  return session;
}
