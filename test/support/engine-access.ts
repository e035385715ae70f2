import { createKeyAccess, type KeyAccess } from "../../src/engine/access.js";
import { ORDER_LINK_ID_PREFIX, type Harness } from "./harness.js";

/** The engine's way in to the harness's keys, counting its opens apart from other tests (`<stream>:opens`). */
export const engineAccess = (
  { redis, sealer, audit, events }: Pick<Harness, "redis" | "sealer" | "audit" | "events">,
  openCounts = `${events.stream}:opens`,
): KeyAccess => createKeyAccess({ redis, sealer, orderLinkIdPrefix: ORDER_LINK_ID_PREFIX, audit, openCounts });
