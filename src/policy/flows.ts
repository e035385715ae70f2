/**
 * How long a flow may last, and with it everything it holds: the sealed conversation state (the
 * messages with a key and secret) and a key pair waiting for its API key. One figure, so that a
 * key pair never outlives the flow that can use it, nor the flow its key pair.
 */
export const FLOW_LIFETIME_SECONDS = 30 * 60;
