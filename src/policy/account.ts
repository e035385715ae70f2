/** What a follower's account holds, as read with their key when they pull the plug. */

export interface OpenPosition {
  category: string;
  symbol: string;
  side: string;
  size: string;
  entryPrice: string;
  markPrice: string;
  unrealisedPnl: string;
  leverage: string;
  liquidationPrice: string;
}

export interface OpenOrder {
  category: string;
  symbol: string;
  side: string;
  type: string;
  price: string;
  qty: string;
}

export interface Fill {
  category: string;
  symbol: string;
  side: string;
  qty: string;
  price: string;
  /** Epoch milliseconds. */
  time: number;
  orderLinkId: string;
}

export interface AccountSnapshot {
  positions: OpenPosition[];
  orders: OpenOrder[];
  fills: Fill[];
}

/** How far back a panic review looks for fills. */
export const REVIEW_FILLS_DAYS = 7;

/** Fills the service did not place: its own orders carry `orderLinkIdPrefix`, so anything else is for the follower to check. */
export function foreignFills(fills: Fill[], orderLinkIdPrefix: string): Fill[] {
  return fills.filter((fill) => !fill.orderLinkId.startsWith(orderLinkIdPrefix));
}
