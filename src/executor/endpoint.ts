/**
 * Check a `tcp://` BuildKit endpoint before buildx uses it. buildx waits for a remote builder
 * and then reports only "context deadline exceeded"; a connection (and TLS handshake) of our
 * own tells in a second why it fails, and what to change.
 */
import * as fs from "fs";
import * as net from "net";
import * as tls from "tls";
import type { BuildPlan } from "../plan";

type BuilderTls = NonNullable<NonNullable<BuildPlan["builder"]>["tls"]>;

/** Why a `tcp://` endpoint cannot be used, with the fix. */
export class BuilderEndpointError extends Error {
  constructor(
    readonly endpoint: string,
    readonly reason: string,
    readonly hint: string,
  ) {
    super(`builder ${endpoint}: ${reason}. ${hint}`);
    this.name = "BuilderEndpointError";
  }
}

/** The fix for a failed connection or handshake, from Node's error. */
function explain(err: NodeJS.ErrnoException, endpoint: string, options: BuilderTls | undefined): string {
  const text = `${err.code ?? ""} ${err.message}`;
  if (err.code === "ECONNREFUSED")
    return `Nothing listens there: start buildkitd with --addr ${endpoint}, or fix the address.`;
  if (err.code === "ENOTFOUND" || err.code === "EAI_AGAIN") return "The host name does not resolve.";
  if (/certificate required|alert number 116|handshake failure/i.test(text))
    return options?.cert
      ? "The daemon refused the client certificate: use one signed by the CA in the daemon's --tlscacert."
      : "The daemon asks for a client certificate: set builder.tls.cert and builder.tls.key.";
  if (err.code === "ERR_TLS_CERT_ALTNAME_INVALID")
    return "The daemon's certificate does not carry that name: set builder.tls.serverName to a name it carries.";
  if (/UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED|UNABLE_TO_GET_ISSUER|CERT_UNTRUSTED/.test(text))
    return options?.caCert
      ? "The daemon's certificate is not signed by builder.tls.caCert: give the CA that signed it."
      : "The daemon's certificate is not signed by a CA this machine trusts: set builder.tls.caCert.";
  if (err.code === "ENOTGRPC") return "Check that it is a BuildKit daemon's address.";
  if (err.code === "ECLOSED")
    return options ? "Check that it is a BuildKit daemon's address." : "It may expect TLS: set builder.tls.";
  if (/wrong version number|packet length too long|EPROTO/i.test(text))
    return options
      ? "The daemon does not speak TLS there: remove builder.tls."
      : "The daemon expects TLS: set builder.tls.";
  return "Check the address and the TLS files.";
}

/**
 * Connect to a `tcp://host:port` endpoint, with TLS when `options` is given (HTTP/2, as
 * BuildKit's gRPC), and wait for the daemon's first bytes. Rejects with a
 * `BuilderEndpointError` naming the reason and the fix; resolves when the daemon answers.
 */
export async function probeBuilderEndpoint(
  endpoint: string,
  options: BuilderTls | undefined,
  timeoutMs = 5000,
): Promise<void> {
  const url = new URL(endpoint);
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const port = Number(url.port || 1234);
  const read = (file: string | undefined): Buffer | undefined => (file ? fs.readFileSync(file) : undefined);
  await new Promise<void>((resolve, reject) => {
    let settled = false;
    const fail = (err: NodeJS.ErrnoException): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      // OpenSSL's "…:SSL routines:ssl3_read_bytes:tlsv13 alert certificate required:…" → its reason.
      const reason = /SSL routines:[^:]*:([^:]+):/.exec(err.message)?.[1] ?? err.message.trim().replace(/\.$/, "");
      reject(new BuilderEndpointError(endpoint, reason, explain(err, endpoint, options)));
    };
    const socket: net.Socket = options
      ? tls.connect({
          host,
          port,
          ca: read(options.caCert),
          cert: read(options.cert),
          key: read(options.key),
          servername: options.serverName ?? (net.isIP(host) ? undefined : host),
          // Verify the name against serverName when given, else against the host.
          checkServerIdentity: (_name, cert) => tls.checkServerIdentity(options.serverName ?? host, cert),
          ALPNProtocols: ["h2"],
        })
      : net.connect({ host, port });
    socket.setTimeout(timeoutMs, () =>
      fail(Object.assign(new Error(`no answer in ${timeoutMs / 1000} s`), { code: "ETIMEDOUT" })),
    );
    socket.on("error", fail);
    // The client's HTTP/2 preface and an empty SETTINGS frame; the daemon answers with a SETTINGS
    // frame (type 4). With TLS 1.3 a refused client certificate arrives as an alert instead.
    socket.once(options ? "secureConnect" : "connect", () => {
      socket.write(
        Buffer.concat([Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0])]),
      );
    });
    // A TLS server reading a plain preface closes the connection without a word.
    socket.once("close", () =>
      fail(Object.assign(new Error("the daemon closed the connection without answering"), { code: "ECLOSED" })),
    );
    socket.once("data", (data: Buffer) => {
      if (data.length >= 9 && data[3] === 4) {
        settled = true;
        socket.destroy();
        resolve();
      } else if (!options && (data[0] === 0x15 || data.toString("latin1").includes("HTTPS server"))) {
        fail(Object.assign(new Error("the daemon answered as a TLS server"), { code: "EPROTO" }));
      } else {
        const start = JSON.stringify(data.subarray(0, 24).toString("latin1"));
        fail(Object.assign(new Error(`the answer is not BuildKit's gRPC (${start})`), { code: "ENOTGRPC" }));
      }
    });
  });
}
