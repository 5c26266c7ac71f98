// The composer's rich side: attaching photos, videos and files (button,
// drag and drop, paste), recording voice with MediaRecorder, location,
// stickers and contact cards, replies, @mentions, forwarding and
// cancelling an upload. Every message is made by the SDK's create methods
// and sent like a text (sending.js): the SDK stores the file with the
// message and uploads it as part of the send.
import { $, el } from './dom.js';
import { FACES, summaryText } from './views/content.js';

/** kindOf picks the create method for a file by its type. */
function kindOf(file) {
  const t = file.type || '';
  if (t.startsWith('image/')) return 'image';
  if (t.startsWith('video/')) return 'video';
  if (t.startsWith('audio/')) return 'voice';
  return 'file';
}

/** mediaDuration reads an audio or video file's length in seconds (0 if the browser cannot tell). */
function mediaDuration(file, tag) {
  return new Promise((resolve) => {
    const media = document.createElement(tag);
    const url = URL.createObjectURL(file);
    const done = (d) => {
      URL.revokeObjectURL(url);
      resolve(Number.isFinite(d) ? d : 0);
    };
    media.preload = 'metadata';
    media.onloadedmetadata = () => done(media.duration);
    media.onerror = () => done(0);
    media.src = url;
  });
}

/** videoSnapshot grabs the first frame of a video as a JPEG Blob (null if it cannot). */
function videoSnapshot(file) {
  return new Promise((resolve) => {
    const v = document.createElement('video');
    const url = URL.createObjectURL(file);
    const done = (b) => {
      URL.revokeObjectURL(url);
      resolve(b);
    };
    v.muted = true;
    v.preload = 'auto';
    v.onloadeddata = () => {
      try {
        const c = document.createElement('canvas');
        c.width = v.videoWidth;
        c.height = v.videoHeight;
        c.getContext('2d').drawImage(v, 0, 0);
        c.toBlob((b) => done(b), 'image/jpeg', 0.8);
      } catch {
        done(null);
      }
    };
    v.onerror = () => done(null);
    v.src = url;
  });
}

export class Rich {
  /**
   * @param {object} o
   * @param {() => object} o.client
   * @param {import('./views/chat.js').ChatView} o.chat
   * @param {import('./sending.js').Sending} o.sending
   * @param {(text:string) => void} o.toast
   * @param {() => object[]} o.conversations the known conversations (forward targets)
   * @param {(c:object) => string} o.nameOfConv
   * @param {() => Promise<object[]>} o.members the open group's members ({userID, nickname, role})
   * @param {() => string} o.selfID
   */
  constructor(o) {
    Object.assign(this, o);
    this.input = $('attach-input');
    $('attach-button').addEventListener('click', () => this.input.click());
    this.input.addEventListener('change', () => {
      for (const f of this.input.files) this.sendFile(f);
      this.input.value = '';
    });
    const pane = $('message-scroller');
    pane.addEventListener('dragover', (e) => {
      if (e.dataTransfer && [...e.dataTransfer.types].includes('Files')) {
        e.preventDefault();
        pane.classList.add('drop');
      }
    });
    pane.addEventListener('dragleave', () => pane.classList.remove('drop'));
    pane.addEventListener('drop', (e) => {
      pane.classList.remove('drop');
      if (!e.dataTransfer || !e.dataTransfer.files.length) return;
      e.preventDefault();
      for (const f of e.dataTransfer.files) this.sendFile(f);
    });
    $('composer-input').addEventListener('paste', (e) => {
      const files = [...((e.clipboardData && e.clipboardData.files) || [])];
      if (!files.length) return;
      e.preventDefault();
      for (const f of files) this.sendFile(f);
    });
    this.recordButton = $('record-button');
    this.recordButton.addEventListener('click', () => this.toggleRecording());
    // On a phone the record button lives in the menu, to leave the text room.
    $('record-menu').addEventListener('click', () => {
      this.menu.hidden = true;
      this.toggleRecording();
    });
    this.menu = $('more-menu');
    $('more-button').addEventListener('click', () => (this.menu.hidden = !this.menu.hidden));
    $('send-location').addEventListener('click', () => this.sendLocation());
    $('send-card').addEventListener('click', () => this.sendCard());
    $('face-picker').replaceChildren(
      ...FACES.map((f, i) =>
        el('button', {
          type: 'button',
          className: 'face-pick',
          text: f,
          dataset: { testid: 'face-pick', index: String(i) },
          onclick: () => {
            this.menu.hidden = true;
            this.make((c) => c.createFaceMessage({ index: i, data: f }));
          },
        }),
      ),
    );
  }

  /** make creates a message with fn(client) and sends it to the open chat. */
  async make(fn) {
    let m;
    try {
      m = await fn(this.client());
    } catch (err) {
      this.toast(`Couldn't create the message: ${(err && err.message) || err}`);
      return;
    }
    this.sending.sendCreated(m);
  }

  async sendFile(file) {
    if (!this.chat.conv) return;
    switch (kindOf(file)) {
      case 'image':
        return this.make((c) => c.createImageMessage({ file }));
      case 'video': {
        const [duration, snapshot] = await Promise.all([mediaDuration(file, 'video'), videoSnapshot(file)]);
        return this.make((c) => c.createVideoMessage({ file, duration, ...(snapshot ? { snapshot } : {}) }));
      }
      case 'voice': {
        const duration = await mediaDuration(file, 'audio');
        return this.make((c) => c.createVoiceMessage({ file, duration }));
      }
      default:
        return this.make((c) => c.createFileMessage({ file }));
    }
  }

  async toggleRecording() {
    if (this.recorder) {
      this.recorder.stop();
      return;
    }
    if (!navigator.mediaDevices || typeof MediaRecorder === 'undefined') {
      this.toast('This browser cannot record audio.');
      return;
    }
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch (err) {
      this.toast(`No microphone: ${(err && err.message) || err}`);
      return;
    }
    const chunks = [];
    const rec = new MediaRecorder(stream);
    const started = Date.now();
    this.recorder = rec;
    this.recordButton.classList.add('recording');
    this.recordButton.setAttribute('aria-pressed', 'true');
    this.recordButton.title = 'Stop and send';
    rec.ondataavailable = (e) => e.data.size && chunks.push(e.data);
    rec.onstop = () => {
      stream.getTracks().forEach((t) => t.stop());
      this.recorder = null;
      this.recordButton.classList.remove('recording');
      this.recordButton.setAttribute('aria-pressed', 'false');
      this.recordButton.title = 'Record a voice message';
      const file = new Blob(chunks, { type: rec.mimeType || 'audio/webm' });
      const duration = (Date.now() - started) / 1000;
      if (file.size) this.make((c) => c.createVoiceMessage({ file, duration }));
    };
    rec.start();
  }

  sendLocation() {
    this.menu.hidden = true;
    const send = (latitude, longitude, description) => this.make((c) => c.createLocationMessage({ latitude, longitude, description }));
    if (!navigator.geolocation) {
      this.toast('This browser cannot tell where you are.');
      return;
    }
    navigator.geolocation.getCurrentPosition(
      (p) => send(p.coords.latitude, p.coords.longitude, 'My location'),
      (err) => this.toast(`Location unavailable: ${err.message}`),
      { timeout: 10_000 },
    );
  }

  /** sendCard asks (in the demo's own dialog) whose card to share. */
  sendCard() {
    this.menu.hidden = true;
    const input = el('input', { type: 'text', placeholder: 'User ID', required: true, dataset: { testid: 'card-user' } });
    const dialog = el('dialog', { className: 'forward-dialog', dataset: { testid: 'card-dialog' } });
    const close = () => {
      dialog.close();
      dialog.remove();
    };
    const form = el(
      'form',
      {
        className: 'form',
        onsubmit: (e) => {
          e.preventDefault();
          const userID = input.value.trim();
          close();
          if (userID) this.make((c) => c.createCardMessage({ userID }));
        },
      },
      el('h2', { text: 'Share a contact' }),
      input,
      el('div', { className: 'row' }, el('button', { type: 'button', className: 'ghost', text: 'Cancel', onclick: close }), el('button', { type: 'submit', className: 'primary', text: 'Share', dataset: { testid: 'card-submit' } })),
    );
    dialog.append(form);
    document.body.append(dialog);
    dialog.showModal();
  }

  /**
   * text sends composer text: a reply when replyTo is set, a mention when
   * it names members with @, a link card when it is one URL, else text.
   */
  async text(text, replyTo) {
    if (replyTo) return this.make((c) => c.createQuoteMessage({ text, quoteMessage: replyTo }));
    const conv = this.chat.conv;
    if (conv && conv.sessionType === 'group' && text.includes('@')) {
      const members = (await this.members().catch(() => [])) || [];
      const ids = [];
      for (const m of members) {
        const names = [m.userID, m.nickname].filter(Boolean).map((n) => `@${n}`);
        if (names.some((n) => text.includes(n))) ids.push(m.userID);
      }
      // @all is for the group's owner and admins: a member's @all stays text.
      const me = members.find((m) => m.userID === this.selfID());
      const atAll = /(^|\s)@all\b/.test(text) && !!me && (me.role === 'owner' || me.role === 'admin');
      if (ids.length || atAll) return this.make((c) => c.createMentionMessage({ text, atUserIDs: ids, atAll }));
    }
    if (/^https?:\/\/\S+$/.test(text)) return this.make((c) => c.createLinkMessage({ url: text }));
    return this.sending.send(text);
  }

  /** forward picks another conversation and sends it a copy of m. */
  forward(m) {
    const dialog = el('dialog', { className: 'forward-dialog', dataset: { testid: 'forward-dialog' } });
    const close = () => {
      dialog.close();
      dialog.remove();
    };
    const targets = this.conversations().filter((c) => !c.removed);
    dialog.append(
      el('h2', { text: 'Forward to…' }),
      el('p', { className: 'muted small', text: summaryText(m) }),
      el(
        'ul',
        { className: 'pick-list' },
        targets.map((c) =>
          el(
            'li',
            {},
            el('button', {
              type: 'button',
              className: 'pick',
              text: this.nameOfConv(c),
              dataset: { testid: 'forward-target', conversationId: c.conversationID },
              onclick: async () => {
                close();
                try {
                  const copy = await this.client().createForwardMessage({ message: m });
                  await this.client().sendMessage({ message: copy, ...(c.sessionType === 'group' ? { groupID: c.groupID } : { recvID: c.userID }) });
                  this.toast(`Forwarded to ${this.nameOfConv(c)}`);
                } catch (err) {
                  this.toast(`Not forwarded: ${(err && err.message) || err}`);
                }
              },
            }),
          ),
        ),
      ),
      el('button', { type: 'button', className: 'ghost', text: 'Cancel', onclick: close }),
    );
    document.body.append(dialog);
    dialog.showModal();
  }

  /** cancel deletes an unsent message: its upload stops and it is gone. */
  async cancel(m) {
    try {
      await this.client().deleteUnsentMessage({ conversationID: m.conversationID, clientMsgID: m.clientMsgID });
      this.chat.remove(m.clientMsgID);
    } catch (err) {
      this.toast(`Couldn't cancel: ${(err && err.message) || err}`);
    }
  }
}
