/**
 * Where a build's files are, from the args as a user gives them: a Git `context` checked out at
 * the commit its ref names now, `dockerfileInline` written to a file. One step for the component
 * and the CLI; every problem is a diagnostic on the arg at fault.
 */
import { type Diagnostic, MultiStageError, excerpt } from "../dockerfile";
import { inlineDockerfile } from "./files";
import { checkoutGitContext, hasUrlCredentials, isGitContext, parseGitContext } from "./git";

/** The args that say where the files are; `context` undefined when it is not known yet (an Output). */
export interface SourceArgs {
  readonly context?: string;
  /** Whether a `dockerfile` path is given too. */
  readonly dockerfileGiven: boolean;
  readonly dockerfileInline?: string;
}

/** What replaces those args: a checked-out folder and its commit, a written Dockerfile. */
export interface LocalSource {
  readonly context?: string;
  readonly commit?: string;
  readonly dockerfile?: string;
}

/** The local folder and Dockerfile of `args`; throws a `MultiStageError` naming each problem. */
export function localSource(args: SourceArgs): LocalSource {
  const diagnostics: Diagnostic[] = [];
  const source: { context?: string; commit?: string; dockerfile?: string } = {};
  if (args.dockerfileInline !== undefined) {
    if (args.dockerfileGiven)
      diagnostics.push({
        severity: "error",
        code: "invalid-argument",
        property: "dockerfileInline",
        message: "is set together with dockerfile: the build would have two Dockerfiles.",
        hint: "Keep one: dockerfile (a path) or dockerfileInline (the text).",
      });
    else source.dockerfile = inlineDockerfile(args.dockerfileInline);
  }
  const context = args.context;
  if (context !== undefined && isGitContext(context)) {
    const problem = (message: string, hint: string): void => {
      diagnostics.push({ severity: "error", code: "missing-context", property: "context", message, hint });
    };
    if (hasUrlCredentials(context))
      problem(
        "holds a password or token in its URL, which would be kept in the state and the plan.",
        "Remove it from the URL and let Git find the credentials (a credential helper, or an SSH key).",
      );
    else
      try {
        const { directory, commit } = checkoutGitContext(parseGitContext(context));
        source.context = directory;
        source.commit = commit;
      } catch (err) {
        const said = String((err as { stderr?: Buffer }).stderr ?? (err as Error).message)
          .trim()
          .split("\n")
          .slice(-2)
          .join(" ");
        problem(
          `the Git context could not be checked out: ${excerpt(said, 300)}`,
          "Check the URL, the ref after # and that this machine's Git can fetch it (credentials, network).",
        );
      }
  }
  if (diagnostics.length) throw new MultiStageError(diagnostics);
  return source;
}
