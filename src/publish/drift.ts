/**
 * What `pulumi refresh` asks of a published image: does its registry still hold the digest,
 * and do its release tags still point at it? No Pulumi SDK: the image resource's provider runs it.
 */
import type { RegistryAccess } from "../registry";
import { parseImageReference, registryHost, repositoryOf } from "../plan";
import { type RegistryClient, registryStep } from "./pipeline";

/** A published image as the state records it. */
export interface PublishedRecord {
  /** `sha256:…`. */
  digest: string;
  /** `<repository>@<digest>`. */
  imageUri: string;
  /** `<repository>:<tag>`, every release tag. */
  references: string[];
}

/**
 * What changed in the registry behind the state's back: the digest gone (deleted, expired by a
 * lifecycle rule), a release tag gone or moved to another image. `undefined` when nothing did.
 * A registry that cannot be asked fails naming it and the fix; nothing is assumed gone for it.
 * `registry`: the host's client (`registryClient`, host/, is the real one).
 */
export async function registryDrift(
  published: PublishedRecord,
  credentials: Omit<RegistryAccess, "server">,
  registry: Pick<RegistryClient, "findManifest" | "machineLogin">,
): Promise<string | undefined> {
  const repository = repositoryOf(published.imageUri);
  const server = registryHost(repository);
  const path = parseImageReference(repository).repository;
  // Pushed with the machine's own login (none kept in the state): refreshed with it too.
  const given = credentials.username !== undefined && credentials.password !== undefined;
  const login = given ? undefined : await registry.machineLogin?.(server);
  const access = login ?? { ...credentials, server };
  const anonymous = !given && !login;
  const ask = (reference: string): Promise<string | undefined> =>
    registryStep("refresh", server, () => registry.findManifest(path, reference, access), anonymous);
  const problems: string[] = [];
  if ((await ask(published.digest)) === undefined)
    problems.push(`${repository} no longer holds ${published.digest} (deleted or expired)`);
  for (const reference of published.references) {
    // The reference parser, not the last ':' (a registry's port is not a tag).
    const tag = parseImageReference(reference).tag;
    if (tag === undefined) {
      problems.push(`the state's reference ${reference} holds no tag to check`);
      continue;
    }
    const now = await ask(tag);
    if (now === undefined) problems.push(`tag ${tag} is gone`);
    else if (now !== published.digest) problems.push(`tag ${tag} now points to ${now}`);
  }
  return problems.length ? problems.join("; ") : undefined;
}
