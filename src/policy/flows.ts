/**
 * How long a key pair waits for its API key, and so how long the flow's step that waits for that
 * key lasts (the other steps wait 10 minutes): one figure, so that a key pair never outlives the
 * flow that can use it, nor that step its key pair.
 */
export const FLOW_LIFETIME_SECONDS = 30 * 60;

/**
 * How long a flow's sealed state (which holds the messages with a key and secret) stays in Redis
 * after the flow's last step: twice the longest a step waits, so that a follower who comes back
 * after a step expired still hears that the flow had expired (and, with our public key out, to
 * delete the key made from it), not a word meant for a loose key. The step's timeout, on the
 * injected clock, decides; this is only the backstop.
 */
export const FLOW_STATE_TTL_SECONDS = 2 * FLOW_LIFETIME_SECONDS;

/**
 * Answers at one step of a flow that do not move it on (a sentence instead of a key, a command,
 * a sticker). Past this many the flow ends and says so: a flow's state keeps every message it
 * received, so an endless one would grow without bound.
 */
export const WRONG_INPUTS_PER_STEP = 5;

/**
 * Messages a flow keeps and answers with a pointer (plain chatter, a command, /connect to see the
 * step again), in the whole flow: no wrong tries, since the bot's own answers advise some of
 * them, but each is kept in the flow's state, so past this many the flow ends too.
 */
export const CHATTER_PER_FLOW = 20;

/** A flow's sealed state above this size is dropped: above what the two limits let a flow of ordinary messages reach. */
export const FLOW_STATE_MAX_BYTES = 256 * 1024;
