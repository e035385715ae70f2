import { generateKeyPair } from "node:crypto";
import { promisify } from "node:util";
import { Worker } from "node:worker_threads";

/** A new RSA-2048 key pair: the public key as it is shown, the private key in a Buffer that can be wiped. */
export interface FreshPair {
  publicKeyPem: string;
  /** PKCS#8 DER. */
  privateKeyDer: Buffer;
}

const OPTIONS = {
  modulusLength: 2048,
  publicKeyEncoding: { type: "spki", format: "pem" },
  privateKeyEncoding: { type: "pkcs8", format: "der" },
} as const;

const generate = promisify(generateKeyPair);

/** For a follower who is waiting: libuv's thread pool, at normal priority, off the event loop. */
export async function generateRsaPair(): Promise<FreshPair> {
  const pair = await generate("rsa", OPTIONS);
  return { publicKeyPem: pair.publicKey, privateKeyDer: pair.privateKey };
}

/**
 * For the pool: one thread of its own at the lowest CPU priority (nice 19; on Linux a thread's
 * nice value is its own). Making a pair costs about 0.2 s of CPU, and a refill after a burst
 * makes hundreds: at normal priority that competed with the event loop for the machine's cores
 * and slowed every follower's replies; at nice 19 it takes only CPU nobody else wants.
 */
const WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
const { generateKeyPairSync } = require("node:crypto");
try { require("node:os").setPriority(19); } catch {}
parentPort.on("message", (options) => {
  const pair = generateKeyPairSync("rsa", options);
  parentPort.postMessage({ publicKeyPem: pair.publicKey, privateKeyDer: pair.privateKey });
  pair.privateKey.fill(0);
});`;

export interface BackgroundMaker {
  make(): Promise<FreshPair>;
  close(): Promise<void>;
}

export function createBackgroundMaker(): BackgroundMaker {
  let worker: Worker | undefined;
  return {
    make() {
      worker ??= new Worker(WORKER_SOURCE, { eval: true });
      const current = worker;
      return new Promise((resolve, reject) => {
        const failed = (error: Error) => {
          // A thread that failed is not asked again: the next pair gets a new one.
          if (worker === current) worker = undefined;
          reject(error);
        };
        current.once("error", failed);
        current.once("message", (pair: { publicKeyPem: string; privateKeyDer: Uint8Array }) => {
          current.off("error", failed);
          const der = Buffer.from(pair.privateKeyDer);
          pair.privateKeyDer.fill(0);
          resolve({ publicKeyPem: pair.publicKeyPem, privateKeyDer: der });
        });
        current.postMessage(OPTIONS);
      });
    },
    async close() {
      await worker?.terminate();
      worker = undefined;
    },
  };
}
