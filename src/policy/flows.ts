/**
 * How long a flow may last, and with it everything it holds: the sealed conversation state (the
 * messages with a key and secret) and a key pair waiting for its API key. One figure, so that a
 * key pair never outlives the flow that can use it, nor the flow its key pair.
 */
export const FLOW_LIFETIME_SECONDS = 30 * 60;

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
