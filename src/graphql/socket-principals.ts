import type { WebSocket } from 'ws';
import type { Authenticator } from '../services/authenticator.js';
import type { CredentialChange } from '../services/credential-watch.js';
import type { Principal } from '../services/principal.js';
import { WsCloseCode } from './ws-limits.js';

/** setTimeout's longest delay; later expiries are re-armed when this one fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;

interface Entry {
  principal: Principal;
  timer: NodeJS.Timeout | null;
}

/**
 * The principal of every open graphql-ws socket on this instance. A socket lives longer than any
 * one request, so its credential is watched: when it is revoked (on any instance), rolled past its
 * grace period, or its access token reaches `exp`, the socket is closed with 4403 within a second
 * and its subscriptions end with it.
 */
export class SocketPrincipals {
  private readonly sockets = new Map<WebSocket, Entry>();
  private readonly stopWatching: () => void;

  constructor(private readonly auth: Authenticator) {
    this.stopWatching = auth.onCredentialChange((change) => this.recheck(change));
  }

  /** Records the socket's principal and arms its expiry. */
  attach(socket: WebSocket, principal: Principal): void {
    const entry: Entry = { principal, timer: null };
    this.sockets.set(socket, entry);
    socket.once('close', () => this.detach(socket));
    this.arm(socket, entry);
  }

  /**
   * The socket's principal if it still holds, checked again for every operation; otherwise the
   * socket is closed with 4403 and null is returned.
   */
  current(socket: WebSocket): Principal | null {
    const entry = this.sockets.get(socket);
    if (entry && this.auth.stillValid(entry.principal)) return entry.principal;
    this.forbid(socket);
    return null;
  }

  /** Stops watching (the server is closing). */
  dispose(): void {
    this.stopWatching();
    for (const socket of [...this.sockets.keys()]) this.detach(socket);
  }

  private detach(socket: WebSocket): void {
    const entry = this.sockets.get(socket);
    if (entry?.timer) clearTimeout(entry.timer);
    this.sockets.delete(socket);
  }

  private forbid(socket: WebSocket): void {
    this.detach(socket);
    if (socket.readyState === socket.OPEN || socket.readyState === socket.CONNECTING)
      socket.close(WsCloseCode.Forbidden, 'Forbidden');
  }

  private arm(socket: WebSocket, entry: Entry): void {
    if (entry.timer) clearTimeout(entry.timer);
    entry.timer = null;
    const expiry = this.auth.expiryOf(entry.principal);
    if (expiry === null) return;
    const wait = Math.max(0, expiry - Date.now());
    entry.timer = setTimeout(
      () => (this.auth.stillValid(entry.principal) ? this.arm(socket, entry) : this.forbid(socket)),
      Math.min(wait, MAX_TIMER_MS),
    );
    entry.timer.unref();
  }

  private recheck(change: CredentialChange): void {
    for (const [socket, entry] of this.sockets) {
      const { principal } = entry;
      const concerned =
        (change.credentialId !== undefined && change.credentialId === principal.credentialId) ||
        (change.tokenId !== undefined && change.tokenId === principal.tokenId);
      if (!concerned) continue;
      if (this.auth.stillValid(principal)) this.arm(socket, entry);
      else this.forbid(socket);
    }
  }
}
