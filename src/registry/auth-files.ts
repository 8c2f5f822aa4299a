/**
 * The machine's registry logins as files hold them (Docker's `config.json`, the containers'
 * `auth.json` of `REGISTRY_AUTH_FILE`): the entry for a registry and what it decodes to. Which
 * file, and the credential helpers they name, are the executor's (`machineLogin`).
 */
import * as fs from "fs";

/** One `auths` entry: `auth` is base64 `user:password`. */
export interface AuthEntry {
  readonly auth?: string;
  readonly username?: string;
  readonly password?: string;
  readonly identitytoken?: string;
}

/** A Docker config or containers auth file. */
export interface AuthFile {
  readonly auths?: Readonly<Record<string, AuthEntry>>;
  readonly credHelpers?: Readonly<Record<string, string>>;
  readonly credsStore?: string;
}

/** The names a registry's entry may have in a config: Docker Hub's legacy URL, with or without a scheme. */
export function loginKeys(server: string): string[] {
  const hub = ["docker.io", "index.docker.io", "registry-1.docker.io"];
  if (hub.includes(server)) return ["https://index.docker.io/v1/", ...hub];
  return [server];
}

/** A config's key as a host (`https://ghcr.io/v2/` → `ghcr.io`). */
function hostOf(key: string): string {
  return key.replace(/^[a-z]+:\/\//i, "").replace(/\/.*$/, "");
}

/** The entry of `entries` for `server`, by its exact key or its host. */
export function entryFor<T>(entries: Readonly<Record<string, T>> | undefined, server: string): T | undefined {
  if (!entries) return undefined;
  const keys = loginKeys(server);
  for (const key of keys) if (entries[key] !== undefined) return entries[key];
  const hosts = new Set(keys.map(hostOf));
  const found = Object.keys(entries).find((k) => hosts.has(hostOf(k)));
  return found === undefined ? undefined : entries[found];
}

/** The file's JSON, undefined when it does not exist; a file that is not JSON fails naming it. */
export function readAuthFile(file: string): AuthFile | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
  try {
    return JSON.parse(text) as AuthFile;
  } catch {
    throw new Error(`${file} is not JSON: the machine's registry logins cannot be read. Fix or remove it.`);
  }
}

/** `auth`'s user and password (base64 `user:password`; the password may hold colons). */
export function decodeAuth(auth: string): { username: string; password: string } | undefined {
  const match = /^([^:]+):([\s\S]*)$/.exec(Buffer.from(auth, "base64").toString("utf8"));
  return match ? { username: match[1], password: match[2] } : undefined;
}

/** A stored `auths` entry's user and password (an identity token alone is not a password: it is passed over). */
export function fromEntry(entry: AuthEntry | undefined): { username: string; password: string } | undefined {
  if (!entry) return undefined;
  const decoded = entry.auth ? decodeAuth(entry.auth) : undefined;
  if (decoded) return decoded;
  if (entry.username && entry.password) return { username: entry.username, password: entry.password };
  return undefined;
}
