// Own messages on their way: sending them, following those an earlier page
// load left in the outbox, and retrying failed ones.

export class Sending {
  /**
   * @param {object} o
   * @param {() => object} o.client the SDK client (read when used)
   * @param {import('./views/chat.js').ChatView} o.chat
   * @param {() => string} o.selfID
   * @param {(text: string) => void} o.toast
   */
  constructor({ client, chat, selfID, toast }) {
    this.client = client;
    this.chat = chat;
    this.selfID = selfID;
    this.toast = toast;
    // clientMsgID -> {message, shown, conversationID, target, failed, error}
    this.pending = new Map();
  }

  clear() {
    this.pending.clear();
  }

  isOpen(conversationID) {
    return !!this.chat.conv && this.chat.conv.conversationID === conversationID;
  }

  /** send creates a text message for the open conversation and sends it. */
  async send(text) {
    const conv = this.chat.conv;
    if (!conv) return;
    let message;
    try {
      message = await this.client().createTextMessage(text);
    } catch (err) {
      this.toast(`Couldn't create the message: ${(err && err.message) || err}`);
      return;
    }
    // What the view shows until the SDK answers; the SDK fills in the conversation on send.
    const shown = {
      ...message,
      conversationID: conv.conversationID,
      sendID: message.sendID || this.selfID(),
      sendTime: message.sendTime || Date.now(),
      sessionType: conv.sessionType,
      status: 'sending',
    };
    this.pending.set(message.clientMsgID, { message, shown, conversationID: conv.conversationID, target: targetOf(conv), failed: false, error: null });
    this.chat.upsertMany([shown], { toBottom: true });
    this.deliver(message.clientMsgID);
  }

  /** deliver sends (or re-sends) a pending message; while offline the SDK's promise waits. */
  async deliver(clientMsgID) {
    const p = this.pending.get(clientMsgID);
    if (!p) return;
    p.failed = false;
    p.error = null;
    if (this.isOpen(p.conversationID)) this.chat.setSending(clientMsgID);
    try {
      const stored = await this.client().sendMessage({ message: p.message, ...p.target });
      this.pending.delete(clientMsgID);
      if (this.isOpen(p.conversationID)) this.chat.upsertMany([stored]);
    } catch (err) {
      p.failed = true;
      p.error = err;
      if (this.isOpen(p.conversationID)) this.chat.setFailed(clientMsgID, err);
    }
  }

  /** track starts following a stored own message this page did not send (from an earlier load). */
  track(message) {
    if (this.pending.has(message.clientMsgID)) return true;
    const conv = this.chat.conv;
    let target = null;
    if (message.groupID) target = { groupID: message.groupID };
    else if (message.recvID) target = { recvID: message.recvID };
    else if (conv) target = targetOf(conv);
    if (!target) return false;
    const conversationID = message.conversationID || (conv && conv.conversationID);
    this.pending.set(message.clientMsgID, { message, shown: { ...message, status: 'sending' }, conversationID, target, failed: false, error: null });
    return true;
  }

  /** retry sends a failed message again: the same message object, so the same clientMsgID. */
  retry(message) {
    if (this.track(message)) this.deliver(message.clientMsgID);
  }

  /**
   * adopt follows an own message that storage shows as sending, left in the
   * outbox by an earlier page load: sendMessage with the same clientMsgID waits
   * for that send instead of making a second one, and resolves when it is stored.
   */
  adopt(message) {
    if (!this.pending.has(message.clientMsgID)) this.retry(message);
  }

  /** showPending puts this page's unfinished sends into a conversation just opened. */
  showPending(conversationID) {
    for (const [id, p] of this.pending) {
      if (p.conversationID !== conversationID) continue;
      this.chat.upsertMany([p.shown], { toBottom: true });
      if (p.failed) this.chat.setFailed(id, p.error);
    }
  }
}

/** targetOf is where sendMessage sends for a conversation. */
function targetOf(conv) {
  return conv.sessionType === 'group' ? { groupID: conv.groupID } : { recvID: conv.userID };
}
