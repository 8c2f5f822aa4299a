/**
 * The machine's own registry logins, read the way registry tools read them, for a registry the
 * user gave no `username`/`password` for: `REGISTRY_AUTH_FILE` (Podman, Buildah, Skopeo), then
 * Docker's `config.json` (`$DOCKER_CONFIG`, else `~/.docker`): a `credHelpers` entry for the
 * registry, a stored `auths` entry, then the `credsStore` helper. A helper is the real
 * `docker-credential-<name> get`. What is found is used for this publish only: logged in to the
 * executor's private config, sent to the registry's API, never kept in the state.
 */
import * as os from "os";
import * as path from "path";
import { type RegistryCredentials, entryFor, fromEntry, loginKeys, readAuthFile } from "../registry";
import { DockerCommandError, runProcess } from "./process";

/** Where a login was found, for messages (never its value). */
export interface MachineLogin extends RegistryCredentials {
  readonly source: string;
}

/** How long a credential helper may take. */
const HELPER_TIMEOUT_MS = 30_000;

/** `docker-credential-<helper> get` for `server`: its user and secret, or undefined when it has none. */
async function fromHelper(
  helper: string,
  server: string,
  env: NodeJS.ProcessEnv,
): Promise<{ username: string; password: string } | undefined> {
  const binary = `docker-credential-${helper}`;
  for (const key of loginKeys(server)) {
    let out: string;
    try {
      out = await runProcess(binary, ["get"], env, {
        stdin: key,
        stdoutOnly: true,
        quiet: true,
        step: "login",
        timeoutMs: HELPER_TIMEOUT_MS,
      });
    } catch (err) {
      if (err instanceof DockerCommandError && err.exitCode === null && /ENOENT/.test(err.output))
        throw new Error(
          `the machine's Docker config names the credential helper "${helper}" for ${server}, but ${binary} is not installed. Install it, or give registry.username and registry.password.`,
        );
      // "credentials not found in native keychain": this key has none.
      if (err instanceof DockerCommandError && /not found|no credentials/i.test(err.output)) continue;
      throw err;
    }
    let parsed: { Username?: string; Secret?: string };
    try {
      parsed = JSON.parse(out) as typeof parsed;
    } catch {
      throw new Error(`${binary} get answered ${out.length} bytes that are not its JSON; check the helper.`);
    }
    // `<token>` is an identity token for Docker's OAuth flow, not a password the registry takes.
    if (parsed.Username && parsed.Secret && parsed.Username !== "<token>")
      return { username: parsed.Username, password: parsed.Secret };
  }
  return undefined;
}

/**
 * The login this machine has for `server`, as registry tools find it (see the file's comment),
 * or undefined: the registry is then used anonymously.
 */
export async function machineLogin(
  server: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<MachineLogin | undefined> {
  if (env.REGISTRY_AUTH_FILE) {
    const found = fromEntry(entryFor(readAuthFile(env.REGISTRY_AUTH_FILE)?.auths, server));
    if (found) return { server, ...found, source: "REGISTRY_AUTH_FILE" };
  }
  const dir = env.DOCKER_CONFIG || path.join(env.HOME || os.homedir(), ".docker");
  const file = path.join(dir, "config.json");
  const config = readAuthFile(file);
  if (!config) return undefined;
  const helper = entryFor(config.credHelpers, server);
  if (helper) {
    const found = await fromHelper(helper, server, env);
    return found && { server, ...found, source: `${file} (credHelpers: ${helper})` };
  }
  const stored = fromEntry(entryFor(config.auths, server));
  if (stored) return { server, ...stored, source: `${file} (auths)` };
  if (config.credsStore) {
    const found = await fromHelper(config.credsStore, server, env);
    if (found) return { server, ...found, source: `${file} (credsStore: ${config.credsStore})` };
  }
  return undefined;
}
