/**
 * Every Redis key this service keeps about a follower, named in one place. All carry the
 * follower's hash tag (one Redis Cluster slot, so multi-key commands and scripts work), and
 * each is found from these names or from the two indexes below: nothing needs SCAN.
 */
export function followerKeys(userId: number) {
  const key = (name: string) => `follower:{${userId}}:${name}`;
  return {
    credential: key("credential"),
    panicEpoch: key("panic-epoch"),
    /** Index: the refs of the follower's open /panic flows. */
    panics: key("panics"),
    panic: (ref: string) => key(`panic:${ref}`),
    revokedKey: key("revoked-key"),
    pendingKeyPair: key("pending-key-pair"),
    /** Index: `<ref>:<kind>` of every reminder marker written. */
    reminderMarkers: key("reminder-markers"),
    reminderMarker: (ref: string, kind: string) => key(`reminder:${ref}:${kind}`),
    /** Set once the follower was told that this stored key cannot be opened: per key, so a key connected later is told about afresh. */
    unreadableNotice: (ref: string) => key(`unreadable-notice:${ref}`),
    /** The follower's key events, written by the same script as each change, until the relay moves them on. */
    outbox: key("outbox"),
    /** The follower's Telegram language as last seen, for what is sent outside an update (reminders, notices). */
    language: key("language"),
    /** The digest of the follower's one live web ticket of this purpose: an older ticket (or one from before /forget) is void. */
    webTicket: (purpose: "oauth" | "webapp") => key(`web-ticket:${purpose}`),
  };
}

/** Every key about the follower but the outbox, the credential first, the indexed ones included; `indexes` are what the two indexes hold. */
export function allFollowerKeys(
  userId: number,
  indexes: { panicRefs: string[]; reminderMarkers: string[]; credentialRef?: string },
): string[] {
  const keys = followerKeys(userId);
  const markers = indexes.reminderMarkers.map((entry) => {
    const split = entry.lastIndexOf(":");
    return keys.reminderMarker(entry.slice(0, split), entry.slice(split + 1));
  });
  const fixed = [
    keys.credential,
    keys.panicEpoch,
    keys.panics,
    keys.revokedKey,
    keys.pendingKeyPair,
    keys.reminderMarkers,
    keys.webTicket("oauth"),
    keys.webTicket("webapp"),
  ];
  const notice = indexes.credentialRef === undefined ? [] : [keys.unreadableNotice(indexes.credentialRef)];
  return [...fixed, ...notice, ...indexes.panicRefs.map(keys.panic), ...markers];
}
