// Type definitions for parley-sdk, the browser SDK of Parley.
// Written by hand: this is the API reference. Its methods, their argument
// shapes and its events follow the table in wasm/surface.go, which the tests
// there hold it to.

/**
 * Error codes on a rejected call's Error (`err.code`). Server codes come
 * from the server unchanged; `network`, `not_logged_in`, `timeout`,
 * `canceled` and `closed` (any call after `close()`) arise in the client.
 */
export type ErrorCode =
  | 'invalid_argument'
  | 'unauthenticated'
  | 'permission_denied'
  | 'not_found'
  | 'already_exists'
  | 'rate_limited'
  | 'too_large'
  | 'internal'
  | 'unimplemented'
  | 'token_expired'
  | 'unavailable'
  | 'network'
  | 'not_logged_in'
  | 'timeout'
  | 'canceled'
  | 'closed';

/** Every rejection (and every error thrown by `on`) is an Error with a code. */
export interface ParleyError extends Error {
  code: ErrorCode | string;
}

export interface ClientOptions {
  /** The server's base URL, `http(s)://host[:port]`. WebSocket goes to `ws(s)://host[:port]/ws`. */
  serverURL: string;
  /**
   * Where parley.wasm is; default: next to index.js. A relative URL
   * resolves against the page's (or Worker's) location.
   */
  wasmURL?: string | URL;
  /**
   * Prefix of the IndexedDB database names, default `'parley'`. Each user
   * has a database `<dbName>_<userID>`; give two clients in one page
   * different dbNames to keep them apart.
   */
  dbName?: string;
  /** SDK diagnostics on the console at this level and above. Default `'warn'`. */
  logLevel?: 'debug' | 'info' | 'warn' | 'error' | 'off';
}

/**
 * Creates a client (not logged in). Loads parley.wasm on first use; later
 * clients share the same Go runtime. Rejects with `invalid_argument` for bad
 * options and `network` when parley.wasm cannot be loaded.
 */
export function createClient(options: ClientOptions): Promise<ParleyClient>;

/** The SDK version. */
export const version: string;

/** A public profile. */
export interface User {
  userID: string;
  /** Present for users who registered with a username. */
  username?: string;
  nickname: string;
  faceURL: string;
  /** The user's own name for a friend: on getFriendList and friendInfoChanged only. */
  remark?: string;
  /** The app's own data about the user, set with setSelfInfo. */
  ex?: string;
}

export interface Group {
  groupID: string;
  name: string;
  faceURL: string;
  ownerUserID: string;
  memberCount: number;
  /** Unix ms. */
  createTime: number;
}

export interface GroupMember {
  groupID: string;
  userID: string;
  role: 'owner' | 'admin' | 'member';
  /** Unix ms. */
  joinTime: number;
}

export type SessionType = 'single' | 'group';
export type ContentType = 'text' | 'image' | 'file' | 'voice' | 'video' | 'custom';
export type MessageStatus = 'created' | 'sending' | 'sent' | 'failed';

export interface Message {
  /** The client's ID of the message, and its idempotency key. */
  clientMsgID: string;
  /** Set once the server stored it. */
  serverMsgID: string;
  conversationID: string;
  /** Position in the conversation (1, 2, 3, …); 0 until sent. */
  seq: number;
  sendID: string;
  /** The receiving user of a one-to-one message, else ''. */
  recvID: string;
  /** The group of a group message, else ''. */
  groupID: string;
  sessionType: SessionType;
  contentType: ContentType | string;
  /** The text of a text message. */
  text: string;
  /** The body of a message of another content type. */
  content?: unknown;
  /** When the server stored it, Unix ms; 0 until sent. */
  sendTime: number;
  /** When the client created it, Unix ms (client clock). */
  createTime: number;
  status: MessageStatus;
  /** Why a failed message failed. */
  errorCode?: ErrorCode | string;
}

export interface Conversation {
  /** `si_<lower userID>_<higher userID>` or `sg_<groupID>`. */
  conversationID: string;
  sessionType: SessionType;
  /** The other user of a one-to-one conversation, else ''. */
  userID: string;
  /** The group of a group conversation, else ''. */
  groupID: string;
  /** The peer's nickname or the group's name. */
  showName: string;
  faceURL: string;
  latestMessage: Message | null;
  unreadCount: number;
  isPinned: boolean;
  draftText: string;
  /** Time of the latest message or change, Unix ms. */
  updatedAt: number;
  /** Highest seq known on the server. */
  maxSeq: number;
  /** Lowest seq this user may read. */
  minSeq: number;
  /** The user's read position. */
  readSeq: number;
  /** Top of the gap-free run of messages held locally. */
  localMaxSeq: number;
  /**
   * A group conversation whose group the user left or was removed from:
   * kept with its messages, but sending to it rejects with
   * `permission_denied`. Absent otherwise.
   */
  removed?: boolean;
}

/** Payload of `groupMemberRemoved`. */
export interface GroupMemberRemoved {
  groupID: string;
  /** Who is out. The logged-in user's ID: the group left the joined list. */
  userID: string;
  /** Who removed them (userID itself when they left); '' when learned after being offline. */
  operatorUserID: string;
  /** 'kicked' or 'quit'; '' when learned after being offline. */
  reason: 'kicked' | 'quit' | '';
  /** The group after the removal (its new memberCount); after being offline, the last stored copy. */
  group: Group;
}

export interface FriendRequest {
  fromUserID: string;
  toUserID: string;
  message: string;
  state: 'pending' | 'accepted' | 'refused';
  /** Unix ms. */
  createTime: number;
  /** When it was accepted or refused, Unix ms; 0 while pending. */
  handleTime: number;
  /** The requester's profile, for display. */
  fromUser?: User;
}

export interface HistoryPage {
  /** Ascending by seq, without gaps. */
  messages: Message[];
  /** True when the page reaches the conversation's first message. */
  isEnd: boolean;
}

export type ConnectionState = 'connecting' | 'connected' | 'disconnected' | 'kickedOffline' | 'tokenExpired';

export interface SyncProgress {
  phase: 'start' | 'progress' | 'finish';
  /** Conversations applied so far in this catch-up. */
  conversations: number;
  /** Messages applied so far in this catch-up. */
  messages: number;
  /** The error code that cut the catch-up short (on finish). */
  error?: string;
}

/** Events and their payloads. */
export interface EventMap {
  /** The connection moved to a new state. */
  connectionStateChanged: { state: ConnectionState };
  /** Messages that arrived from others or from the user's other devices, each once. */
  newMessages: Message[];
  /** Conversations whose content changed. */
  conversationsChanged: Conversation[];
  /** The sum of all unread counts. */
  totalUnreadCountChanged: number;
  /** Catch-up after (re)connecting: one start, progress per page, one finish. */
  syncProgress: SyncProgress;
  /**
   * A message sent from this client changed `status`: `'sending'` when
   * sendMessage has stored it, then exactly one `'sent'` (with its `seq`,
   * `serverMsgID` and `sendTime`) or `'failed'` (with its `errorCode`) for
   * that attempt; sending a failed message again starts a new attempt. A
   * message left unsent by an earlier page load (see getUnsentMessages)
   * goes on sending after login and announces its `'sent'` or `'failed'`
   * here too, so an app needs no copy of the outbox of its own.
   */
  messageStatusChanged: Message;
  /**
   * Someone asked the user to be friends: once per request, live or when
   * the SDK reconnects after being away. A store's very first catch-up
   * lists requests (getFriendRequests) without announcing them.
   */
  friendRequestReceived: FriendRequest;
  /** A friendship was made. */
  friendAdded: User;
  /** The user joined a group, or one of their groups changed (e.g. its memberCount). */
  groupChanged: Group;
  /**
   * A member left or was removed from one of the user's groups. When
   * `userID` is the user's own, the group is gone from getJoinedGroupList
   * and its conversation is marked `removed` (also when the SDK learns it
   * on reconnecting after being offline); for another member a
   * groupChanged with the new memberCount comes with it.
   */
  groupMemberRemoved: GroupMemberRemoved;
  /** The user's own profile changed (on this or another device). */
  selfInfoUpdated: User;
  /**
   * Profiles the SDK stored anew: fetched for a conversation's name, asked
   * for with `getUsersInfo` while offline (then fetched once connected),
   * the user's own after `setSelfInfo`, or changed by a friend, a fellow
   * group member or the user on another device (live, or caught up after
   * being away; each change once). An app that caches names refreshes
   * them from this event.
   */
  usersInfoChanged: User[];
  /** A request the user made was refused; `userID` is who refused it. */
  friendRequestRefused: { userID: string };
  /** A friendship ended, on either side's deleteFriend; `userID` is the former friend. */
  friendDeleted: { userID: string };
  /** A friend's entry on the friend list changed (the user's remark for them, set on any device). */
  friendInfoChanged: User;
  /** The users the user blocks changed, on any of their devices: the whole list, ordered by userID. */
  blackListChanged: User[];
}

export type EventName = keyof EventMap;

export declare class ParleyClient {
  private constructor();

  /**
   * Opens the user's local data and starts connecting. Resolves once local
   * data is open; does not wait for the network (with the server away,
   * local data still serves and the SDK keeps reconnecting). Rejects with
   * `invalid_argument` when already logged in.
   */
  login(args: { userID: string; token: string }): Promise<void>;
  /** Disconnects and closes local data. Rejects with `not_logged_in` when not logged in. */
  logout(): Promise<void>;
  /** The logged-in user's ID, or ''. */
  getLoginUserID(): Promise<string>;
  /** The current connection state ('disconnected' when logged out). */
  getConnectionState(): Promise<ConnectionState>;

  /** The user's own profile: from the server when connected, else the stored copy. */
  getSelfUserInfo(): Promise<User>;
  /**
   * Profiles of the given users (at most 200): from the server when
   * connected, else the stored ones. One that is not stored is never
   * silently missing: the call waits a moment for the connection to ask for
   * it; if the server stays out of reach it resolves with the stored ones
   * and fetches the rest once connected, announcing them with
   * `usersInfoChanged`. Rejects with `token_expired` (or `unauthenticated`
   * after `kickedOffline`) for profiles it does not hold once the server
   * ended the session.
   */
  getUsersInfo(args: { userIDs: string[] }): Promise<User[]>;
  /**
   * Changes the fields that are given; resolves to the updated profile.
   * `ex` is the app's own data about the user (≤ 4096 bytes), public like
   * the rest; `searchable: false` keeps the user out of searchUsers. The user's other devices, friends and fellow group members
   * get `usersInfoChanged`, live or when they next connect.
   */
  setSelfInfo(args: { nickname?: string; faceURL?: string; ex?: string; searchable?: boolean }): Promise<User>;
  /**
   * Finds users whose username starts with `keyword` or whose nickname
   * contains it (from three characters), case-insensitively: username
   * matches first. `count` ≤ 50 (default 20), `offset` ≤ 500; users who
   * set `searchable: false` are never found. Searches are rate-limited per
   * user (`rate_limited`).
   */
  searchUsers(args: { keyword: string; offset?: number; count?: number }): Promise<User[]>;
  /** Looks a user up by username (case-insensitive); rejects with `not_found`. */
  findUserByUsername(args: { username: string }): Promise<User>;

  /** A local message, `status: 'created'`, with a fresh clientMsgID. Nothing is stored yet. */
  createTextMessage(text: string): Promise<Message>;
  /**
   * Sends a message to exactly one of recvID (a user) or groupID. The
   * message is stored locally before it goes on the wire. Resolves to the
   * message as stored (`status: 'sent'`, `seq`, `serverMsgID`, `sendTime`);
   * rejects when the server refuses it or no answer came in time, and the
   * message is then stored as `'failed'`. While disconnected it waits for
   * the connection (up to 60 s) instead of failing. Sending the same
   * clientMsgID again never makes a second copy; for a failed message it is
   * the retry. Each step is also announced with `messageStatusChanged`.
   */
  sendMessage(args: { message: Message; recvID?: string; groupID?: string }): Promise<Message>;

  /** Conversations, pinned first, then newest activity first. count 0 or absent: all. */
  getConversationList(args?: { offset?: number; count?: number }): Promise<Conversation[]>;
  /** One conversation from local data; rejects with `not_found`. */
  getConversation(args: { conversationID: string }): Promise<Conversation>;
  /**
   * The newest `count` (1…500) messages before `beforeSeq` (default: the
   * latest), ascending by seq. Offline it serves what is stored locally.
   */
  getHistoryMessages(args: { conversationID: string; beforeSeq?: number; count: number }): Promise<HistoryPage>;
  /**
   * The conversation's messages that have no seq yet: waiting to be sent
   * ('sending') or given up on ('failed'), oldest first. Show them after the
   * history, e.g. after a reload; `messageStatusChanged` says when each
   * is sent or fails.
   */
  getUnsentMessages(args: { conversationID: string }): Promise<Message[]>;
  /** Sets the conversation's unreadCount to 0 on every device of the user. */
  markConversationAsRead(args: { conversationID: string }): Promise<void>;
  /** Pins (default) or unpins a conversation. */
  setConversationPinned(args: { conversationID: string; isPinned?: boolean }): Promise<void>;
  /** Stores a draft ('' clears it). */
  setConversationDraft(args: { conversationID: string; draftText?: string }): Promise<void>;
  /** Sum of all unread counts. */
  getTotalUnreadCount(): Promise<number>;

  /** Sends a friend request. */
  addFriend(args: { userID: string; message?: string }): Promise<void>;
  /** Accepts a pending friend request from userID. */
  acceptFriendRequest(args: { userID: string }): Promise<void>;
  getFriendList(): Promise<User[]>;
  /**
   * Friend requests to and from the user in every state, the latest
   * created or handled first; stored, so they are readable offline. A
   * request fires friendRequestReceived once, however often it is pushed.
   */
  getFriendRequests(): Promise<FriendRequest[]>;
  /** Refuses userID's pending request; the requester gets friendRequestRefused. */
  refuseFriendRequest(args: { userID: string }): Promise<void>;
  /** Ends the friendship for both sides; both get friendDeleted. */
  deleteFriend(args: { userID: string }): Promise<void>;
  /** Sets the user's own name for a friend ('' clears it): `remark` on getFriendList, on every device of the user. */
  setFriendRemark(args: { userID: string; remark: string }): Promise<void>;
  /** How many stored requests to the user are still pending. */
  getFriendRequestUnhandledCount(): Promise<number>;
  /** Blocks userID: their one-to-one messages and friend requests to the user are refused (`permission_denied`). */
  addBlack(args: { userID: string }): Promise<void>;
  /** Lifts the block on userID. */
  removeBlack(args: { userID: string }): Promise<void>;
  /** The users the user blocks, ordered by userID; stored, so readable offline. */
  getBlackList(): Promise<User[]>;

  /** Creates a group with the user as owner and the given members. */
  createGroup(args: { name: string; memberUserIDs: string[] }): Promise<Group>;
  getJoinedGroupList(): Promise<Group[]>;
  /** Members of a group the user belongs to. */
  getGroupMembers(args: { groupID: string }): Promise<GroupMember[]>;
  /** Removes a member: the owner may remove anyone else, an admin only plain members (else `permission_denied`). */
  kickGroupMember(args: { groupID: string; userID: string }): Promise<void>;
  /** Leaves a group (the owner cannot: `permission_denied`). The group leaves getJoinedGroupList. */
  quitGroup(args: { groupID: string }): Promise<void>;

  /**
   * Ends the client for good: logs out locally as logout() does when logged
   * in (the token is not revoked; local data stays for the next login),
   * removes every handler and releases the client's functions in the Go
   * runtime, so a discarded client leaves nothing behind. Every later call
   * rejects (and `on` throws) with code `closed`; calling close again
   * resolves at once.
   */
  close(): Promise<void>;

  /**
   * Registers a handler and returns the function that removes it. Throws an
   * Error with code `invalid_argument` for an unknown event name or a
   * handler that is not a function. Handlers stay registered across
   * logout and login. A handler that throws is logged to the console and
   * does not affect the SDK or other handlers.
   */
  on<K extends EventName>(name: K, handler: (payload: EventMap[K]) => void): () => void;
}
