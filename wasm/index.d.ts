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
  /**
   * Whether this client shares one SDK instance with the other tabs of the
   * origin. Default `'auto'`. See "Sharing" below.
   */
  sharing?: Sharing;
  /**
   * How long before the token's expiry `tokenWillExpire` comes, in ms.
   * Default 300000 (5 minutes). With sharing, the first tab's value holds
   * for the shared instance.
   */
  tokenWillExpireBefore?: number;
}

/**
 * Sharing: one SDK instance for all tabs.
 *
 * With `'auto'` (the default) every client of one origin, `serverURL`,
 * `dbName`, user, SDK version and `wasmURL`, in any tab, uses one instance: one
 * WebSocket, one outbox, one writer of the user's IndexedDB database. The
 * client picks its instance at `login` (before that it answers as a
 * logged-out client). The API does not change:
 *
 * - Every tab gets every event, once. A message sent from one tab reaches
 *   the others through `messageStatusChanged` (the same events the sending
 *   tab gets), not `newMessages`; a send from any tab goes through the one
 *   outbox.
 * - `login` in a tab whose group is logged in as that user already joins
 *   it. `logout` in one tab logs out all of them: each gets
 *   `connectionStateChanged` `'disconnected'` (unless it was disconnected
 *   already) and `getLoginUserID()` answers `''`. Any tab may then log in,
 *   as the same user or another, without a reload.
 * - `close()` ends one tab's client; the instance goes on serving the other
 *   tabs (and lives until the last tab of the group closes).
 *
 * Where the instance runs:
 *
 * - In a `SharedWorker` (worker.js, next to index.js), where the browser has
 *   one. It lives while any tab of the group is open. Should it end anyway
 *   (a crash), the tabs learn it from its Web Lock and start the next one,
 *   which logs in again; calls in flight are handled as at a takeover
 *   (below).
 * - Where `SharedWorker` is missing (Chrome on Android, some webviews):
 *   each tab starts a dedicated Worker; the tabs elect one with the Web
 *   Locks API and reach it over a `BroadcastChannel`. When the elected tab
 *   closes or crashes, another tab's worker takes over: each standby
 *   worker has parley.wasm compiled and its Go runtime started ahead (the
 *   memory of one idle runtime per tab), so it only logs in and reconnects
 *   (contract: within 2 s; see docs/benchmarks.md for what it measures),
 *   and the tabs hear `connectionStateChanged` at once. The outbox is durable, so
 *   nothing in it is lost or sent twice. Calls in flight to the closed tab
 *   are asked again of the new host when that is safe (reads, `login`,
 *   `createTextMessage`, `sendMessage`, which sends a clientMsgID once);
 *   any other rejects with `unavailable` (it may or may not have happened).
 *   What the host that went away had stored but not yet announced (the
 *   `'sent'` of a message acknowledged in its last moment, messages that
 *   had just arrived) is announced to each remaining tab after the
 *   takeover, once: each tab compares what it was told (per conversation,
 *   the highest seq announced and the latest `updatedAt`, from what it
 *   read of the list right after its login, once a first page of the list
 *   its app asked for meanwhile was served, on) with the new host's
 *   data, and gets `newMessages`,
 *   `messageStatusChanged` (an own send's `'sent'`, an outbox entry's
 *   status), `conversationsChanged` and `totalUnreadCountChanged` for the
 *   difference before the events that follow (but
 *   `connectionStateChanged`, which is not held). Its limits: up to 400
 *   messages per conversation; an own message whose `'sending'` the tab
 *   never heard comes as `newMessages`; `messagesChanged` (edits,
 *   revokes, reactions) is not replayed (reads return the change); a
 *   takeover before that first read of a tab's list tells that tab nothing.
 *   The same holds when a SharedWorker ends.
 * - On the page itself (one instance per client, as with `'off'`) in a
 *   Worker that uses the SDK, where neither worker can run, or when the
 *   worker fails to start (its script or parley.wasm cannot be loaded).
 *
 * A dedicated Worker of the app that calls `createClient` does not join the
 * tabs' shared instance yet (contract §7 asks that it does): it runs an
 * instance of its own, with its own WebSocket, and while the tabs are
 * logged in as a user its `login` as that user rejects with `unavailable`
 * (and theirs while it is). Use the SDK from the pages, or give the Worker
 * its own `dbName`.
 *
 * Limits: arguments and results cross to the worker by structured clone
 * (a `Blob` or `File` crosses as itself, without copying its bytes); an
 * argument that cannot be cloned (a function) rejects with
 * `invalid_argument`. Without SharedWorker the answers travel the group's
 * BroadcastChannel, so each tab also receives (and drops) the others'
 * answers; with many tabs reading large pages that costs each of them a
 * copy. A tab or Worker that runs its own instance (on the page) shares
 * with no one, and while it holds a user's data the group's `login` as that
 * user rejects with `unavailable`. In a shared instance, a bad `wasmURL` shows at
 * `login` (code `network`), not at `createClient`. Tabs with different SDK
 * versions do not share an instance: while tabs of one version are logged
 * in as a user, a tab of another version's `login` as that user waits, and
 * resolves once they let go (they log out, or their last tab closes, as
 * after a reload onto the new version); its `logout` (or `close`) ends the
 * wait, and the login then rejects with `canceled`. So a newer SDK never
 * upgrades the database under an older one, and the older tabs keep
 * working until they go. An app that wants them gone sooner asks its user
 * to reload them.
 *
 * With `'off'` the client runs its own instance on the page. Instances on
 * the same user's data coordinate with a Web Lock (held from login to
 * logout): while one holds it, another's `login` rejects with
 * `unavailable` instead of writing beside it.
 */
export type Sharing = 'auto' | 'off';

/**
 * Creates a client (not logged in). Rejects with `invalid_argument` for bad
 * options. A client with its own instance (sharing `'off'`, or where no
 * worker can run) loads parley.wasm here, once per page (later clients
 * share the same Go runtime), and rejects with `network` when it cannot; a
 * shared one loads it in the worker at `login`, whose rejection then
 * carries that `network`.
 */
export function createClient(options: ClientOptions): Promise<ParleyClient>;

/** The SDK version. */
export const version: string;

/** A public profile. */
/** Whether a user is online, and on which platforms (sorted; empty when offline). */
export interface UserStatus {
  userID: string;
  online: boolean;
  /** `web`, `ios`, `android`, `desktop`, `other`. */
  platforms: string[];
}

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
  introduction: string;
  /** The announcement. */
  notification: string;
  /** open: anyone joins, any member invites; approval: joinGroup applies; invite: only the owner and admins bring people in. */
  joinPolicy: JoinPolicy;
  /** Only the owner and admins may send. */
  isMuted: boolean;
  /** The user's role in it ('' when not known). */
  myRole: GroupRole | '';
  /** Set on the group of a `groupChanged` after its dismissal. */
  dismissed?: boolean;
  /** The version of the group's members the SDK has stored (absent: none); it catches up from it by itself. */
  memberVersion?: number;
}

export type JoinPolicy = 'open' | 'approval' | 'invite';
export type GroupRole = 'owner' | 'admin' | 'member';

export interface GroupMember {
  groupID: string;
  userID: string;
  role: GroupRole;
  /** Unix ms. */
  joinTime: number;
  /** The member's name in this group ('' for none). */
  nickname: string;
  /** When the member's mute ends, Unix ms (0: not muted). */
  muteEndTime: number;
}

/** An application to join a group under the `approval` policy. */
export interface GroupApplication {
  groupID: string;
  userID: string;
  message: string;
  state: 'pending' | 'accepted' | 'refused';
  /** Unix ms. */
  createTime: number;
  /** When it was decided, Unix ms (0: pending). */
  handleTime: number;
}

export type SessionType = 'single' | 'group';
export type ContentType =
  | 'text' | 'image' | 'voice' | 'video' | 'file' | 'location' | 'card' | 'custom'
  | 'quote' | 'mention' | 'merger' | 'face' | 'link' | 'notification' | 'revoked';

/** `content` of a revoked message (`contentType: 'revoked'`, `text: ''`). */
export interface RevokedContent {
  revokerUserID: string;
  /** Unix ms. */
  revokeTime: number;
}
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
  /**
   * The body of a message of a type other than `text`, as an object (see
   * the `…Content` shapes below; `custom` is the app's own).
   */
  content?: MessageContent | unknown;
  /** When the server stored it, Unix ms; 0 until sent. */
  sendTime: number;
  /** When the client created it, Unix ms (client clock). */
  createTime: number;
  status: MessageStatus;
  /** Why a failed message failed. */
  errorCode?: ErrorCode | string;
  /**
   * Orders the changes to a stored message (revoked, edited): 0 as sent,
   * higher after each change.
   */
  version: number;
  /** When the message was last edited, Unix ms; 0 if never. */
  editTime: number;
  /**
   * On the user's own messages in a one-to-one conversation: the peer has
   * read it (its seq is at most `Conversation.peerReadSeq`). Becoming true
   * is announced with `messagesChanged`.
   */
  isRead: boolean;
  /** Pinned for every member (pinMessage), by `pinnedBy` at `pinTime` (Unix ms). */
  isPinned: boolean;
  pinnedBy: string;
  pinTime: number;
  /**
   * Its reactions, each emoji in the order it was first used; absent when
   * there are none. A change is announced with `messagesChanged`.
   */
  reactions?: Reaction[];
  /**
   * On the user's own group messages: how many of the other members who
   * could read it have (0 elsewhere). It updates live on the sender's
   * devices with `messagesChanged` as members read, is right after a
   * catch-up for the newest 200 own messages of a conversation, and never
   * goes down. Who they are: `getMessageReadInfo`.
   */
  readCount: number;
  /**
   * Only in `messagesChanged`: the user deleted the message for themselves
   * (on this or another device); take it away. Carries no content.
   */
  deleted?: true;
  /**
   * The files of an unsent message and how far each upload got (the SDK's
   * own bookkeeping, stored with the message so that a reload resumes
   * them); absent once sent.
   */
  uploads?: Upload[];
}

/** One emoji on a message (addReaction). */
export interface Reaction {
  emoji: string;
  /** How many users reacted with it. */
  count: number;
  /** The first of them (at most 10), in the order they reacted. */
  userIDs: string[];
  /** The user is one of them. */
  reactedByMe: boolean;
}

/** Who has read one of the user's own group messages (getMessageReadInfo). */
export interface MessageReadInfo {
  readCount: number;
  /** Members who could read it (they joined before it) and have not. */
  unreadCount: number;
  /** Latest first; `readTime` is when their read position last moved (Unix ms). */
  readers: { userID: string; readTime: number }[];
}

/** The bookkeeping of one file of an unsent message. */
export interface Upload {
  /** Where the file's url goes: '' the content itself, else a member (`thumbnail`, `snapshot`). */
  field?: string;
  fileName: string;
  mimeType: string;
  size: number;
  /** The server's upload, once started. */
  uploadID?: string;
  chunkSize?: number;
  /** Bytes the server confirmed. */
  sent?: number;
  /** The finished upload. */
  result?: UploadResult;
}

/** A file on the server (uploadFile, and every file of a message). */
export interface UploadResult {
  /** Absolute; may be signed and expiring. */
  url: string;
  /** Decided by the server from the bytes. */
  mimeType: string;
  size: number;
}

/** A picture beside a file: an image's thumbnail, a video's snapshot. */
export interface Picture {
  /** '' when there is none. */
  url: string;
  width: number;
  height: number;
}

/** `image`: the photo as given (never re-encoded) and its thumbnail. */
export interface ImageContent { url: string; mimeType: string; size: number; width: number; height: number; thumbnail: Picture }
/** `voice`: `duration` in seconds. */
export interface VoiceContent { url: string; mimeType: string; size: number; duration: number }
/** `video`: `duration` in seconds, an optional still. */
export interface VideoContent { url: string; mimeType: string; size: number; duration: number; snapshot: Picture | null }
/** `file`. */
export interface FileContent { url: string; mimeType: string; size: number; fileName: string }
/** `location`: degrees. */
export interface LocationContent { latitude: number; longitude: number; description: string }
/** `card`: a user's card; open a chat with `userID`. */
export interface CardContent { userID: string; nickname: string; faceURL: string }
/** `custom`: `data` is any JSON value; `description` stands for it in lists. */
export interface CustomContent { data: unknown; description: string }
/** `quote`: a reply; `text` is also `Message.text`. */
export interface QuoteContent {
  text: string;
  quote: { clientMsgID: string; seq: number; sendID: string; contentType: ContentType | string; summary: string };
}
/** `mention`: `text` is also `Message.text`; `atAll` is for a group's owner and admins. */
export interface MentionContent { text: string; atUserIDs: string[]; atAll: boolean }
/** `merger`: a chat history sent as one message (at most 100). */
export interface MergerContent {
  title: string;
  messages: { clientMsgID: string; seq: number; sendID: string; senderNickname: string; contentType: ContentType | string; content: unknown; sendTime: number }[];
}
/** `face`: a sticker of the app's set. */
export interface FaceContent { index: number; data: string }
/** `link`: the page's preview, fetched by the server. */
export interface LinkContent { url: string; title: string; description: string; imageURL: string; text?: string }

export type MessageContent =
  | ImageContent | VoiceContent | VideoContent | FileContent | LocationContent | CardContent | CustomContent
  | QuoteContent | MentionContent | MergerContent | FaceContent | LinkContent;

/** Payload of `messageProgress`. */
export interface MessageProgress {
  clientMsgID: string;
  conversationID: string;
  /** Bytes of the message's files the server confirmed. */
  bytesSent: number;
  /** The size of all its files; the last event has bytesSent === bytesTotal, before `sent`. */
  bytesTotal: number;
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
  /** Its file URLs are signed for the user, as on every message the SDK gives. */
  latestMessage: Message | null;
  unreadCount: number;
  isPinned: boolean;
  /** Muted by the user (setConversationMuted): left out of the total unread count. */
  isMuted: boolean;
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
  /** One-to-one: the highest seq the other user has read (read receipts); 0 in groups. */
  peerReadSeq: number;
  /** The server's change counter of the conversation's messages. */
  messageVersion: number;
  /** Changes to messages are applied here up to this counter. */
  changesVersion: number;
  /** The user's deletions of its messages are applied here up to this version. */
  deletesVersion: number;
  /**
   * A group conversation whose group the user left or was removed from:
   * kept with its messages, but sending to it rejects with
   * `permission_denied`. Absent otherwise.
   */
  removed?: boolean;
  /** True while a message that mentions the user (by ID or @all) is unread. */
  mentionedMe: boolean;
  /**
   * Hidden or deleted by the user (hideConversation, deleteConversation):
   * left out of getConversationList and of the total unread count until
   * its next message. A `conversationsChanged` with `isHidden: true` says
   * to take it off the list. Absent otherwise.
   */
  isHidden?: boolean;
  /** Hidden while `maxSeq` is below this seq (the next message's). */
  hiddenUntilSeq?: number;
  /** `draftText` was set on this device and has not reached the server yet (offline). */
  draftPending?: boolean;
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
  /**
   * True when the page reaches the conversation's first message (with
   * `afterSeq`: its newest).
   */
  isEnd: boolean;
}

export interface SearchLocalMessagesResult {
  /** Every match, whatever `offset` and `count`. */
  totalCount: number;
  /** The page: newest first by `sendTime` across conversations. */
  messages: Message[];
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

/**
 * A call's state: `ringing` until an invitee answers (`accepted`), then
 * `ended`; or `rejected` (declined), `canceled` (by the inviter before an
 * answer), `missed` (no answer within the server's call timeout, 60 s by
 * default). `answeredElsewhere` is how an invitee's other devices see a
 * call one of them answered: they stop ringing.
 */
export type CallState = 'ringing' | 'accepted' | 'rejected' | 'canceled' | 'missed' | 'ended' | 'answeredElsewhere';

/** A call (contract §9). The media flows between the browsers; the server only relays the signaling. */
export interface Call {
  callID: string;
  conversationID: string;
  media: 'audio' | 'video';
  inviterUserID: string;
  inviteeUserIDs: string[];
  state: CallState;
  /** The invitees who answered. */
  acceptedUserIDs: string[];
  /**
   * Why an ended call ended: `'hangUp'`, `'timeout'`, `'connectionLost'`
   * (a device in the call stayed disconnected past the server's grace, or
   * the server forgot the call while this device was away) or
   * `'serverRestart'`; `''` otherwise.
   */
  reason: string;
  /** Unix ms; `acceptTime` and `endTime` are 0 until they happen. */
  startTime: number;
  acceptTime: number;
  endTime: number;
  /**
   * True on the device in the call: the invitee's device that answered, the
   * inviter's that started it. Only that device sends and gets signals.
   */
  answeredHere: boolean;
}

/** Payload of `callSignal`. */
export interface CallSignal {
  callID: string;
  fromUserID: string;
  /** The value the peer passed to sendCallSignal, unchanged. */
  signal: unknown;
}

/** One RTCIceServer, as RTCPeerConnection takes it. */
export interface IceServer {
  urls: string | string[];
  username?: string;
  credential?: string;
}

/**
 * The content of a call's `notification` message: every call leaves one in
 * its conversation, when it ends. `durationMs` runs from the answer to the
 * end (0 for a call never answered).
 */
export interface CallNotificationContent {
  kind: 'call';
  callID: string;
  media: 'audio' | 'video';
  result: 'ended' | 'missed' | 'canceled' | 'rejected';
  durationMs: number;
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
  /**
   * The stored members of a group changed (joined, left, role, mute or
   * nickname): `members` is the whole stored list. Comes after the
   * change's notification message (live, or caught up after being away).
   */
  groupMembersChanged: { groupID: string; members: GroupMember[] };
  /** A group of the user was dismissed: it left getJoinedGroupList, its conversation is kept marked `removed`. */
  groupDismissed: { groupID: string };
  /**
   * Someone applied to join a group the user owns or administers: live,
   * or caught up after being away (once per application, however often
   * it is pushed). The application is stored (getGroupApplications,
   * getGroupApplicationUnhandledCount).
   */
  groupApplicationReceived: GroupApplication;
  /**
   * An application the user made or may decide was accepted, on any
   * device of any decider (this one too): live, or caught up after being
   * away. Not in the contract; named after OpenIM's.
   */
  groupApplicationAccepted: GroupApplication;
  /** An application the user made or may decide was refused (as groupApplicationAccepted). */
  groupApplicationRefused: GroupApplication;
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
  /**
   * The token expires at `expiresAt` (Unix ms), within the
   * `tokenWillExpireBefore` of createClient. Get a fresh token from your
   * backend (`POST /api/v1/admin/tokens`, or log in again) and pass it to
   * setToken; once per token. The SDK reads the expiry from the token
   * itself.
   */
  tokenWillExpire: { expiresAt: number };
  /**
   * A call rings on this device: every device of every invitee gets it (and
   * the inviter's other devices). A device that connects while a call rings
   * for it gets it then.
   */
  callInvited: Call;
  /**
   * A call this device knows changed state, on every device of the inviter
   * and the invitees: `answeredElsewhere` (within 3 s of the answer) on the
   * invitee's devices that did not answer; a final state (`ended`,
   * `rejected`, `canceled`, `missed`) once. After a reconnect the SDK asks
   * the server about each call in progress, so a call that ended meanwhile
   * is announced too.
   */
  callStateChanged: Call;
  /**
   * A signal the other side of a call sent this device with sendCallSignal,
   * exactly once and in order, also across reconnects of either side.
   */
  callSignal: CallSignal;
  /**
   * The upload of an unsent message's files moved on: at least once per
   * chunk the server confirmed, the last one complete before its
   * `messageStatusChanged` `'sent'`.
   */
  messageProgress: MessageProgress;
   * Stored messages whose content or state changed (revoked, edited,
   * reactions, pinned, read by the peer, `readCount`), in their new
   * state, on every device that holds them (the one that made the change
   * included), each change once; and messages the user deleted for
   * themselves, as `{…, deleted: true}` without content. A message first seen in a changed state
   * comes with `newMessages` instead. After being offline the changes made
   * meanwhile come with the catch-up.
   */
  messagesChanged: Message[];
  /**
   * Who is typing in a conversation now (sorted; empty when nobody is):
   * on a start, a stop, and when an entry lapses 6 s after its last
   * renewal. Never stored.
   */
  typingChanged: { conversationID: string; userIDs: string[] };
  /** A request the user made was refused; `userID` is who refused it. */
  friendRequestRefused: { userID: string };
  /** A friendship ended, on either side's deleteFriend; `userID` is the former friend. */
  friendDeleted: { userID: string };
  /** A friend's entry on the friend list changed (the user's remark for them, set on any device). */
  friendInfoChanged: User;
  /** The users the user blocks changed, on any of their devices: the whole list, ordered by userID. */
  blackListChanged: User[];
  /**
   * A user watched with subscribeUsersStatus came online, went offline or
   * changed platforms (on any server node). Not stored.
   */
  userStatusChanged: UserStatus;
}

export type EventName = keyof EventMap;

export declare class ParleyClient {
  private constructor();

  /**
   * Opens the user's local data and starts connecting. Resolves once local
   * data is open; does not wait for the network (with the server away,
   * local data still serves and the SDK keeps reconnecting). Rejects with
   * `invalid_argument` when already logged in as another user, and with
   * `unavailable` when another instance of this SDK version holds the
   * user's local data; one of another version is waited for, and a logout
   * meanwhile rejects it with `canceled` (see "Sharing"). In a shared instance, logging in as the user the tabs are
   * logged in as already joins them.
   */
  login(args: { userID: string; token: string }): Promise<void>;
  /** Disconnects and closes local data. Rejects with `not_logged_in` when not logged in. */
  logout(): Promise<void>;
  /**
   * Swaps in a fresh token of the same user without a logout: local data,
   * unsent messages and the connection stay (the server is told on the live
   * connection; later reconnects use the new token). Rejects with
   * `invalid_argument` for another user's token, and with the server's
   * code (`token_expired`, `unauthenticated`) when it refuses the token;
   * the old one then stays. After `tokenExpired` it connects again with
   * the new token.
   */
  setToken(args: { token: string }): Promise<void>;
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

  /**
   * A local message, `status: 'created'`, with a fresh clientMsgID. Nothing
   * is stored yet. When the text holds an http(s) URL, the server's preview
   * of the first one is asked for (at most 3 s) and, if the page has a title,
   * description or image, the message carries it: `content: {text, preview:
   * {url, title, description, imageURL}}` (else `content` is absent). An
   * edit drops the preview.
   */
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

  /**
   * A local image message. The browser reads the size (unless given) and
   * makes a thumbnail (320 px, JPEG); the photo goes up as it is. The file
   * is uploaded when the message is sent, as part of the send: its bytes
   * are stored with the message first, so a reload or an outage resumes
   * the upload and the message still goes out once (`messageProgress`).
   */
  createImageMessage(args: { file: Blob; width?: number; height?: number }): Promise<Message>;
  /** A local voice message; `duration` in seconds. Uploaded as createImageMessage says. */
  createVoiceMessage(args: { file: Blob; duration: number }): Promise<Message>;
  /** A local video message; `duration` in seconds, `snapshot` a still image. Uploaded as createImageMessage says. */
  createVideoMessage(args: { file: Blob; duration: number; snapshot?: Blob }): Promise<Message>;
  /** A local file message; `fileName` defaults to the File's name. Uploaded as createImageMessage says. */
  createFileMessage(args: { file: Blob; fileName?: string }): Promise<Message>;
  /** A local location message (degrees). */
  createLocationMessage(args: { latitude: number; longitude: number; description?: string }): Promise<Message>;
  /** A local card of a user, with the name and face the SDK knows. */
  createCardMessage(args: { userID: string }): Promise<Message>;
  /** A local custom message: `data` any JSON value, `description` what stands for it. */
  createCustomMessage(args: { data: unknown; description?: string }): Promise<Message>;
  /** A local reply quoting a sent message. */
  createQuoteMessage(args: { text: string; quoteMessage: Message }): Promise<Message>;
  /** A local message mentioning users; the mentioned get `Conversation.mentionedMe` until they read it. */
  createMentionMessage(args: { text: string; atUserIDs: string[]; atAll?: boolean }): Promise<Message>;
  /** A local message carrying sent messages as one (at most 100). */
  createMergerMessage(args: { messages: Message[]; title: string }): Promise<Message>;
  /** A local copy of a sent message's content, to send elsewhere; files are not uploaded again. */
  createForwardMessage(args: { message: Message }): Promise<Message>;
  /** A local face (sticker) message. */
  createFaceMessage(args: { index: number; data?: string }): Promise<Message>;
  /** A local link message with the preview the server fetched (the url alone when it could not). */
  createLinkMessage(args: { url: string; text?: string }): Promise<Message>;
  /**
   * Uploads a file outside a message (an avatar, a group's face); nothing
   * is stored, so an upload cut short is started again by calling again.
   */
  uploadFile(args: { file: Blob; onProgress?: (p: { bytesSent: number; bytesTotal: number }) => void }): Promise<UploadResult>;
  /**
   * Deletes a message that has no seq yet (`'sending'` or `'failed'`) with
   * its stored files: cancels its send and its upload. A sendMessage
   * waiting for it rejects with `canceled`. Once its send may have reached
   * the server (being written, awaiting its answer, or its last attempt got
   * none) it rejects with `invalid_argument` and the message is sent (or
   * fails) as any other: a cancel racing the send has one outcome.
   */
  deleteUnsentMessage(args: { conversationID?: string; clientMsgID: string }): Promise<void>;

  /** Conversations, pinned first, then newest activity first. count 0 or absent: all. */
  getConversationList(args?: { offset?: number; count?: number }): Promise<Conversation[]>;
  /** One conversation from local data; rejects with `not_found`. */
  getConversation(args: { conversationID: string }): Promise<Conversation>;
  /**
   * The newest `count` (1…500) messages before `beforeSeq` (default: the
   * latest), ascending by seq; with `afterSeq` instead, the oldest `count`
   * after it (open a search hit in place with `afterSeq: hit.seq - 1`).
   * Offline it serves what is stored locally.
   */
  getHistoryMessages(args: { conversationID: string; beforeSeq?: number; afterSeq?: number; count: number }): Promise<HistoryPage>;
  /**
   * The conversation's messages that have no seq yet: waiting to be sent
   * ('sending') or given up on ('failed'), oldest first. Show them after the
   * history, e.g. after a reload; `messageStatusChanged` says when each
   * is sent or fails.
   */
  getUnsentMessages(args: { conversationID: string }): Promise<Message[]>;
  /**
   * Marks the conversation read up to `seq` (default: every message; never
   * back), here at once and on every device of the user; offline it
   * resolves from local data and reaches the server when connected. In a
   * one-to-one conversation the peer sees their messages read
   * (`peerReadSeq`, `isRead`).
   */
  markConversationAsRead(args: { conversationID: string; seq?: number }): Promise<void>;
  /** Pins (default) or unpins a conversation. */
  setConversationPinned(args: { conversationID: string; isPinned?: boolean }): Promise<void>;
  /**
   * Stores a draft ('' clears it) on every device of the user. For a
   * conversation stored locally it resolves from local data, offline too,
   * and reaches the server when connected.
   */
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
  /**
   * Watches users' online status: resolves to their status now, one entry
   * per distinct user in request order (at most 200 per call, 1,000 watched
   * in all), then announces every change with userStatusChanged, across
   * reconnects, until unsubscribeUsersStatus or logout. A user the caller
   * may not watch (one who blocks them; with the server's deny-strangers
   * setting, a non-friend) or who does not exist is answered offline.
   * Waits for the connection; a rejection subscribes nobody.
   */
  subscribeUsersStatus(args: { userIDs: string[] }): Promise<UserStatus[]>;
  /** Stops watching users. */
  unsubscribeUsersStatus(args: { userIDs: string[] }): Promise<void>;

  /** Creates a group with the user as owner and the given members. */
  createGroup(args: { name: string; memberUserIDs: string[] }): Promise<Group>;
  getJoinedGroupList(): Promise<Group[]>;
  /**
   * `count` members (at most 500; 0 or absent: all of them, read page by
   * page) of a group the user belongs to from `offset`, the owner first
   * then by join time; stored, so readable offline.
   */
  getGroupMembers(args: { groupID: string; offset?: number; count?: number }): Promise<GroupMember[]>;
  /** Removes a member: the owner may remove anyone else, an admin only plain members (else `permission_denied`). */
  kickGroupMember(args: { groupID: string; userID: string }): Promise<void>;
  /** Leaves a group (the owner cannot: `permission_denied`; transfer it first). The group leaves getJoinedGroupList. */
  quitGroup(args: { groupID: string }): Promise<void>;
  /**
   * The user's groups among `groupIDs` (at most 100; others are left out):
   * from the server when connected (and stored), else the stored ones.
   */
  getGroupsInfo(args: { groupIDs: string[] }): Promise<Group[]>;
  /** Changes the given fields (owner and admins; else `permission_denied`). Each change is an `infoChanged` notification in the group's conversation. */
  setGroupInfo(args: { groupID: string; name?: string; faceURL?: string; introduction?: string; notification?: string; joinPolicy?: JoinPolicy }): Promise<Group>;
  /** Makes a member admin or member (owner only). */
  setGroupMemberRole(args: { groupID: string; userID: string; role: 'admin' | 'member' }): Promise<void>;
  /** Hands the group to another member (owner only); the old owner becomes a member and may then quitGroup. */
  transferGroupOwner(args: { groupID: string; newOwnerUserID: string }): Promise<void>;
  /** Ends the group (owner only): every member is removed; `groupDismissed` on every device of every member. */
  dismissGroup(args: { groupID: string }): Promise<void>;
  /**
   * Adds users (at most 100): the owner and admins always, any member
   * under `open`. A user who blocked the inviter, or is banned from the
   * group, is refused (`permission_denied`).
   */
  inviteUserToGroup(args: { groupID: string; userIDs: string[] }): Promise<void>;
  /** Joins an `open` group, or applies to an `approval` one (`permission_denied` under `invite`; `not_found` for no such group). */
  joinGroup(args: { groupID: string; message?: string }): Promise<void>;
  /**
   * The applications the user may decide (groups they own or administer)
   * and those they made, in every state, the latest created or handled
   * first (at most 200): from the server when connected, and stored, so
   * they are readable offline. The stored ones follow the pushes, the
   * answers to joinGroup and to the decisions, and a catch-up after being
   * away (which announces what changed meanwhile). Offline, the stored
   * applications of a group where the user is now a plain member, or that
   * the user left, are left out (the user's own stay).
   */
  getGroupApplications(): Promise<GroupApplication[]>;
  /** How many stored applications the user may decide are still pending (not counting the user's own); works offline. */
  getGroupApplicationUnhandledCount(): Promise<number>;
  /** Accepts a pending application (owner and admins): the applicant joins; groupApplicationAccepted on every device of the deciders and the applicant. */
  acceptGroupApplication(args: { groupID: string; userID: string }): Promise<void>;
  /** Refuses a pending application (owner and admins); groupApplicationRefused on every device of the deciders and the applicant. */
  refuseGroupApplication(args: { groupID: string; userID: string }): Promise<void>;
  /** Mutes or unmutes the whole group (owner and admins): plain members' sends fail with `permission_denied`. */
  muteGroup(args: { groupID: string; isMuted: boolean }): Promise<void>;
  /** Mutes a member below the caller for `seconds` (0 unmutes; at most a year). */
  muteGroupMember(args: { groupID: string; userID: string; seconds: number }): Promise<void>;
  /** Sets a member's nickname in the group: the member itself, or the owner or an admin above them. No notification message. */
  setGroupMemberNickname(args: { groupID: string; userID: string; nickname: string }): Promise<void>;

  /**
   * Starts a call: every device of each invitee rings (`callInvited`). In a
   * one-to-one conversation the invitee is the peer (`inviteeUserIDs` may be
   * left out); in a group it names up to 7 members. Resolves to the call,
   * `ringing`, with `answeredHere` true (this device is in the call).
   * Rejects with `permission_denied` outside the conversation or when the
   * peer blocked the user, `invalid_argument` for a bad media or invitee.
   */
  startCall(args: { conversationID: string; media: 'audio' | 'video'; inviteeUserIDs?: string[] }): Promise<Call>;
  /** Answers a ringing call on this device; the user's other devices stop ringing. */
  acceptCall(args: { callID: string }): Promise<void>;
  /** Declines a ringing call, for all of the user's devices (a one-to-one call is then `rejected` everywhere). */
  rejectCall(args: { callID: string }): Promise<void>;
  /** The inviter gives up before an answer: the call ends as `canceled`. */
  cancelCall(args: { callID: string }): Promise<void>;
  /**
   * Leaves a call: an answered one-to-one call ends (`ended`, reason
   * `hangUp`); an invitee hanging up while it rings rejects it; the inviter
   * hanging up while it rings cancels it.
   */
  hangUpCall(args: { callID: string }): Promise<void>;
  /**
   * Relays `signal` (an SDP offer or answer, an ICE candidate: any value
   * JSON.stringify encodes, at most 32 KB) to `toUserID`'s device in the
   * call, which gets it as `callSignal`. Only from and to the devices in the
   * call (`permission_denied` otherwise), and only once it is answered
   * (`invalid_argument` before); `rate_limited` past 20 a second.
   */
  sendCallSignal(args: { callID: string; toUserID: string; signal: unknown }): Promise<void>;
  /**
   * The ICE servers to give RTCPeerConnection, as the server is configured
   * (`-ice-servers`), with TURN credentials minted for the user when it has
   * a TURN secret. `[]` is fine on one network (loopback, a LAN).
   */
  getCallConfig(): Promise<{ iceServers: IceServer[] }>;

  /**
   * Ends the client for good: removes every handler and releases what the
   * client holds, so a discarded client leaves nothing behind. A client
   * with its own instance (sharing `'off'`, or on the page) logs out
   * locally as logout() does (the token is not revoked; local data stays
   * for the next login) and releases its functions in the Go runtime; a
   * shared instance goes on serving the other tabs. Every later call
   * Revokes a message: on every device that holds it, it becomes
   * `contentType: 'revoked'` with `content: RevokedContent` and `text: ''`;
   * its earlier content is removed from the server and from local data.
   * The sender may revoke within the server's revoke window (default 24 h);
   * a group's owner and admins may revoke any message of the group. Else
   * `permission_denied`; an unknown message is `not_found`. Revoking twice
   * resolves. Needs the connection (waits for it like any request).
   */
  revokeMessage(args: { conversationID: string; clientMsgID: string }): Promise<void>;
  /**
   * Replaces the text of one of the user's text messages and resolves to
   * the message as stored (`editTime` set). Another's message is
   * `permission_denied`; a message that is not text (a revoked one too) or
   * an empty text is `invalid_argument`.
   */
  editMessage(args: { conversationID: string; clientMsgID: string; text: string }): Promise<Message>;
  /**
   * Deletes a message for the user alone, on all their devices: it is
   * removed from local data at once (the other devices follow, live or on
   * their next catch-up, each announcing it with `messagesChanged` as a
   * message with `deleted: true`); the other members keep theirs. It no
   * longer appears in `getHistoryMessages`. An unknown message is
   * `not_found`. Needs the connection.
   */
  deleteMessage(args: { conversationID: string; clientMsgID: string }): Promise<void>;
  /**
   * Pins (`isPinned: true`, the default) or unpins a message for every
   * member of the conversation; any member may. Pinned messages show
   * `isPinned`, `pinnedBy` and `pinTime` and come with `messagesChanged`
   * on every device. A revoked message cannot be pinned
   * (`invalid_argument`; a revoke unpins); at most 100 per conversation.
   */
  pinMessage(args: { conversationID: string; clientMsgID: string; isPinned?: boolean }): Promise<void>;
  /**
   * Adds the user's reaction `emoji` to a message of a conversation they
   * are a member of; every member's devices get it in `messagesChanged`
   * (`Message.reactions`). Adding it again changes nothing. Refused with
   * `invalid_argument` on a revoked message (a revoke takes the reactions
   * away), for an emoji over 32 bytes or with spaces, and past the limits
   * (20 emojis per message, 10 reactions per user per message, 500 in all).
   * Needs the connection.
   */
  addReaction(args: { conversationID: string; clientMsgID: string; emoji: string }): Promise<void>;
  /** Takes the user's reaction `emoji` away; removing a missing one changes nothing. */
  removeReaction(args: { conversationID: string; clientMsgID: string; emoji: string }): Promise<void>;
  /**
   * Who has read one of the user's own messages of a group (the members
   * whose read seq reached it, the sender aside), from the server; the
   * count is stored with the message (`readCount`). Another member's
   * message is `permission_denied`, a one-to-one conversation
   * `invalid_argument` (there: `isRead`). Needs the connection.
   */
  getMessageReadInfo(args: { conversationID: string; clientMsgID: string }): Promise<MessageReadInfo>;
  /**
   * The conversation's pinned messages, ascending by seq: the server's
   * list while connected, the pinned messages held locally offline.
   */
  getPinnedMessages(args: { conversationID: string }): Promise<Message[]>;
  /**
   * Clears a conversation for the user on all their devices: every message
   * up to now is removed from local data and is no longer theirs to read
   * (`getHistoryMessages` answers `{messages: [], isEnd: true}` until a new
   * one arrives; `latestMessage` becomes null). The other members keep
   * theirs. A device that was offline clears on its next catch-up. Needs
   * the connection.
   */
  clearConversationMessages(args: { conversationID: string }): Promise<void>;
  /**
   * Takes a conversation off the list (`isHidden`) on every device of the
   * user until its next message; its messages stay. Needs the connection.
   */
  hideConversation(args: { conversationID: string }): Promise<void>;
  /**
   * Hides a conversation and clears it for the user on every device: off
   * the list, its messages removed from local data, and
   * `getHistoryMessages` answering `{messages: [], isEnd: true}` until a new
   * message arrives, which brings it back. The other members keep theirs.
   * Needs the connection.
   */
  deleteConversation(args: { conversationID: string }): Promise<void>;
  /**
   * Searches the messages stored locally (IndexedDB), offline: sent
   * messages of every conversation the user holds here, newest first by
   * `sendTime`; messages never fetched to this device are not searched.
   * `keyword` (up to 200 bytes; default: every message) is matched
   * case-insensitively as a substring, with no word splitting, so any
   * language works, against a message's text or the words its content
   * carries (a file's name, a custom message's or a location's description,
   * a link's title, a card's name, a merger's title). `startTime` and
   * `endTime` bound `sendTime` (Unix ms, inclusive); `offset` and `count`
   * (1…100, default 20) page the matches.
   */
  searchLocalMessages(args: { keyword?: string; conversationID?: string; senderUserIDs?: string[]; contentTypes?: ContentType[]; startTime?: number; endTime?: number; offset?: number; count?: number }): Promise<SearchLocalMessagesResult>;
  /**
   * Tells the conversation's other members that the user is typing
   * (`typing: true`, the default) or stopped. Call it on every keystroke:
   * the SDK sends a start, renews it every 3 s at most while calls keep
   * coming, and sends a stop only after a start. Ephemeral: delivered to
   * the members online now, never stored; without a connection it rejects
   * with `network` and nothing is kept for later.
   */
  setTyping(args: { conversationID: string; typing?: boolean }): Promise<void>;
  /**
   * Mutes (`isMuted: true`, the default) or unmutes a conversation on every
   * device of the user: a muted conversation keeps its `unreadCount` but is
   * left out of `getTotalUnreadCount` (and `totalUnreadCountChanged`).
   */
  setConversationMuted(args: { conversationID: string; isMuted?: boolean }): Promise<void>;

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
