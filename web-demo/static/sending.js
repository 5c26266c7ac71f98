// Own messages: sending them and retrying failed ones. What the chat shows
// of them comes from the SDK alone, so this page keeps no copy of the
// outbox: messageStatusChanged reports every status (sending once the SDK
// stored the message, then sent or failed), and getUnsentMessages lists the
// ones still unsent when a conversation opens, e.g. after a reload, which
// the SDK goes on sending by itself.
import { notSentText } from './format.js';

export class Sending {
  /**
   * @param {object} o
   * @param {() => object} o.client the SDK client (read when used)
   * @param {import('./views/chat.js').ChatView} o.chat
   * @param {(text: string) => void} o.toast
   */
  constructor({ client, chat, toast }) {
    this.client = client;
    this.chat = chat;
    this.toast = toast;
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
    this.deliver(message, targetOf(conv));
  }

  /** sendCreated sends a message made by one of the SDK's create methods to the open conversation. */
  sendCreated(message) {
    const conv = this.chat.conv;
    if (conv) this.deliver(message, targetOf(conv));
  }

  /** retry sends a failed message again: the same message, so the same clientMsgID and never a second copy. */
  retry(message) {
    let target = null;
    if (message.groupID) target = { groupID: message.groupID };
    else if (message.recvID) target = { recvID: message.recvID };
    else if (this.chat.conv) target = targetOf(this.chat.conv);
    if (target) this.deliver(message, target);
  }

  /** onStatus is messageStatusChanged: the open chat shows the message as it now is. */
  onStatus(message) {
    this.chat.upsertMany([message], { toBottom: message.status === 'sending' });
  }

  /**
   * deliver sends a message; while offline the SDK's promise waits. A
   * failure of a message the chat shows is on screen already (the SDK
   * stored it as failed and said so); any other, e.g. one refused before it
   * was stored or in a chat no longer open, gets a toast.
   */
  async deliver(message, target) {
    try {
      await this.client().sendMessage({ message, ...target });
    } catch (err) {
      if (!this.chat.shows(message.clientMsgID)) this.toast(err && err.code ? notSentText(err.code) : `Not sent: ${(err && err.message) || err}`);
    }
  }
}

/** targetOf is where sendMessage sends for a conversation. */
function targetOf(conv) {
  return conv.sessionType === 'group' ? { groupID: conv.groupID } : { recvID: conv.userID };
}
