import http from "node:http";
import { containsCredentialLike } from "../../policy/credential-guard.js";
import { createFastDelete } from "./fast-delete.js";

/**
 * Runs the intake's hot path before the first batch, in long polling's thread: the credential
 * scan over key-like texts, and 400 deletion requests through the same HTTP client code against a
 * server on the loopback that lives only for this (about 150 ms at start). The first burst after a
 * start otherwise met that code unoptimised: in `npm run bench` (200 pastes at once) the exposure
 * median was 30 ms without this and 19–20 ms with it.
 */
export async function warmUp(): Promise<void> {
  const alphabet = "aB3xK9mQ7zR2wP5t";
  const token = (seed: number, length: number) =>
    Array.from({ length }, (_, index) => alphabet[(seed * 7 + index * 13) % alphabet.length]).join("");
  for (let seed = 0; seed < 300; seed += 1) containsCredentialLike(`${token(seed, 18)} ${token(seed + 1, 36)}`);

  const server = http.createServer((request, response) => {
    request.resume();
    request.on("end", () => response.end('{"ok":true,"result":true}'));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const agent = new http.Agent({ keepAlive: true });
  try {
    const { port } = server.address() as { port: number };
    const deleteOnce = createFastDelete(`http://127.0.0.1:${port}`, "0:warm-up", agent);
    for (let round = 0; round < 4; round += 1)
      await Promise.all(Array.from({ length: 100 }, (_, chatId) => deleteOnce({ chatId, messageId: round })));
  } finally {
    agent.destroy();
    server.close();
  }
}
