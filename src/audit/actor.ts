/**
 * Who made a change: `cli` (with the OS user the command ran as, a hint
 * rather than an identity), `api:<keyId>` for the app key that called /v1,
 * or `serve` for the appliance itself.
 */
export interface Actor {
  actor: string;
  osUser?: string | null;
}

export function apiActor(keyId: string): Actor {
  return { actor: `api:${keyId}` };
}

/** The CLI actor; `sudo` keeps the name of the person who typed it. */
export function cliActor(env: (name: string) => string | undefined): Actor {
  const osUser = ["SUDO_USER", "USER", "LOGNAME", "USERNAME"].map(env).find(Boolean) ?? null;
  return { actor: "cli", osUser };
}

/** A signed-in console admin. */
export function adminActor(name: string): Actor {
  return { actor: `admin:${name}` };
}
