// Calls: the incoming-call dialog and the call view. The media goes between
// the browsers over RTCPeerConnection, one per remote participant (a mesh,
// also for a group call); the SDK only carries the signaling (startCall,
// acceptCall, sendCallSignal, the call events).
import { $, byTestID, el } from '../dom.js';

const FINAL = new Set(['ended', 'rejected', 'canceled', 'missed']);
// parleyd takes at most 7 invitees in a group call (docs/protocol.md).
const MAX_INVITEES = 7;

/** callLineText is the timeline's line for a call's notification content. */
export function callLineText(c, outgoing) {
  const kind = c.media === 'video' ? 'Video call' : 'Voice call';
  switch (c.result) {
    case 'missed':
      return outgoing ? `${kind} · no answer` : `Missed ${kind.toLowerCase()}`;
    case 'rejected':
      return `${kind} · declined`;
    case 'canceled':
      return `${kind} · canceled`;
    default:
      return `${kind} · ${durationText(c.durationMs || 0)}`;
  }
}

/** durationText shows a call's length as m:ss (h:mm:ss past an hour). */
export function durationText(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

function endedText(call, selfID) {
  switch (call.state) {
    case 'missed':
      return call.inviterUserID === selfID ? 'No answer' : 'Missed call';
    case 'rejected':
      return 'Call declined';
    case 'canceled':
      return 'Call canceled';
    default:
      if (call.reason === 'connectionLost') return 'Call ended: the connection was lost';
      if (call.reason === 'serverRestart') return 'Call ended: the server restarted';
      return 'Call ended';
  }
}

/**
 * Calls owns #incoming-call-dialog and #call-view: one call at a time on
 * this device. The controller hands it the SDK's call events.
 *
 * Every two participants of a call connect directly: of each pair, the one
 * with the smaller user ID makes the offer (so two offers never cross), the
 * other answers it. A participant who leaves says so first with a `bye`
 * signal; its tile goes.
 */
export class Calls {
  /**
   * @param {object} o
   * @param {() => object} o.client the SDK client
   * @param {() => string} o.selfID
   * @param {(userID:string) => string} o.nameOf
   * @param {(userIDs:string[]) => void} o.ensureNames fetches unknown profiles (refreshNames follows)
   * @param {(text:string) => void} o.toast
   */
  constructor({ client, selfID, nameOf, ensureNames, toast }) {
    this.client = client;
    this.selfID = selfID;
    this.nameOf = nameOf;
    this.ensureNames = ensureNames;
    this.toast = toast;
    this.call = null; // the call on this device (ringing, in progress)
    this.ringing = null; // the incoming call shown in the dialog
    this.local = null; // the local MediaStream
    this.peers = new Map(); // userID → {pc, tile, video, candidates, remoteSet, ready, closed}
    this.gone = new Set(); // participants who left this call
    this.iceServers = null; // a promise of the call's ICE servers
    this.group = false;
    this.title = '';
    this.timer = 0;

    this.dialog = $('incoming-call-dialog');
    this.pickDialog = $('call-pick-dialog');
    this.pickList = byTestID(this.pickDialog, 'call-pick-list');
    this.view = $('call-view');
    this.tiles = $('remote-tiles');
    this.localVideo = $('local-video');
    this.status = $('call-status');
    this.peerName = $('call-peer');
    this.muteButton = $('call-mute');
    this.cameraButton = $('call-camera');

    byTestID(this.dialog, 'incoming-accept').addEventListener('click', () => this.accept());
    byTestID(this.dialog, 'incoming-decline').addEventListener('click', () => this.decline());
    this.dialog.addEventListener('cancel', (e) => {
      e.preventDefault(); // Escape declines, as the button does
      this.decline();
    });
    $('call-hangup').addEventListener('click', () => this.hangUp());
    this.muteButton.addEventListener('click', () => this.toggle('audio', this.muteButton, 'Mute', 'Unmute'));
    this.cameraButton.addEventListener('click', () => this.toggle('video', this.cameraButton, 'Camera off', 'Camera on'));
  }

  /** start places a call: to the peer of a one-to-one conversation, or to a group's other members. */
  async start(conv, media) {
    if (this.call) {
      this.toast('You are already in a call.');
      return;
    }
    const group = conv.sessionType === 'group';
    let inviteeUserIDs;
    if (group) {
      try {
        const members = await this.client().getGroupMembers({ groupID: conv.groupID });
        inviteeUserIDs = members.map((m) => m.userID).filter((u) => u && u !== this.selfID());
      } catch (err) {
        this.toast(`Couldn't call: ${err.message || err}`);
        return;
      }
      if (!inviteeUserIDs.length) {
        this.toast('Nobody else is in this group.');
        return;
      }
      inviteeUserIDs = await this.pick(inviteeUserIDs, media);
      if (!inviteeUserIDs) return; // canceled
      if (!inviteeUserIDs.length) {
        this.toast('Choose whom to call.');
        return;
      }
      if (inviteeUserIDs.length > MAX_INVITEES) {
        this.toast(`A group call rings at most ${MAX_INVITEES} members: calling the first ${MAX_INVITEES}.`);
        inviteeUserIDs = inviteeUserIDs.slice(0, MAX_INVITEES);
      }
    }
    try {
      await this.openMedia(media);
    } catch (err) {
      this.toast(`Couldn't use the ${media === 'video' ? 'camera' : 'microphone'}: ${err.message || err}`);
      return;
    }
    this.showView(group, group ? conv.showName || 'Group call' : '', group ? null : conv.userID, media, 'Calling…');
    try {
      this.call = await this.client().startCall({ conversationID: conv.conversationID, media, inviteeUserIDs });
      this.view.dataset.callId = this.call.callID;
    } catch (err) {
      this.teardown();
      this.toast(`Couldn't call: ${err.message || err}`);
    }
  }

  /** pick asks whom of userIDs to call (the first MAX_INVITEES checked): the chosen, or null when canceled. */
  pick(userIDs, media) {
    const d = this.pickDialog;
    this.ensureNames(userIDs);
    this.pickList.replaceChildren(
      ...userIDs.map((u, i) =>
        el(
          'label',
          { dataset: { testid: 'call-pick-member', userId: u } },
          el('input', { type: 'checkbox', value: u, checked: i < MAX_INVITEES }),
          el('span', { text: this.nameOf(u) }),
        ),
      ),
    );
    byTestID(d, 'call-pick-title').textContent = media === 'video' ? 'Video call' : 'Voice call';
    d.returnValue = ''; // Escape keeps the last value
    d.showModal();
    return new Promise((resolve) => {
      d.addEventListener(
        'close',
        () => resolve(d.returnValue === 'call' ? [...this.pickList.querySelectorAll('input:checked')].map((i) => i.value) : null),
        { once: true },
      );
    });
  }

  onInvited(call) {
    if (call.inviterUserID === this.selfID()) return; // placed from another device of ours
    if (this.call || this.ringing) return; // busy: the caller hears it ring on until it ends
    this.ringing = call;
    this.ensureNames([call.inviterUserID]);
    this.refreshNames();
    this.dialog.dataset.callId = call.callID;
    if (!this.dialog.open) this.dialog.showModal();
  }

  /** refreshNames redraws the names shown once profiles arrive. */
  refreshNames() {
    if (this.ringing) {
      const who = this.nameOf(this.ringing.inviterUserID);
      const group = isGroupCall(this.ringing) ? ' the group' : '';
      byTestID(this.dialog, 'incoming-title').textContent = this.ringing.media === 'video' ? `${who} is video calling${group}` : `${who} is calling${group}`;
    }
    for (const l of this.pickList.children) l.lastChild.textContent = this.nameOf(l.dataset.userId);
    if (!this.call) return;
    if (!this.group && this.peerUserID) this.peerName.textContent = this.nameOf(this.peerUserID);
    for (const p of this.peers.values()) byTestID(p.tile, 'remote-name').textContent = this.nameOf(p.userID);
  }

  onStateChanged(call) {
    // A group call answered by others rings on here until we answer, decline, or it ends.
    const ringsOn = call.state === 'ringing' || (call.state === 'accepted' && !(call.acceptedUserIDs || []).includes(this.selfID()));
    if (this.ringing && this.ringing.callID === call.callID && !ringsOn) {
      this.closeDialog();
      if (call.state === 'answeredElsewhere') this.toast('Answered on another device');
      else if (call.state === 'missed') this.toast(`Missed call from ${this.nameOf(call.inviterUserID)}`);
      else if (call.state === 'canceled') this.toast(`${this.nameOf(call.inviterUserID)} hung up`);
    }
    if (!this.call || this.call.callID !== call.callID) return;
    this.call = call;
    if (FINAL.has(call.state)) {
      this.toast(endedText(call, this.selfID()));
      this.teardown();
      return;
    }
    if (call.state === 'accepted' && call.answeredHere) {
      if (!this.peers.size) this.setStatus('Connecting…');
      this.meet();
    }
  }

  onSignal(s) {
    const from = s.fromUserID;
    if (!this.call || s.callID !== this.call.callID || !from || from === this.selfID()) return;
    const sig = s.signal || {};
    if (sig.kind === 'bye') {
      this.drop(from);
      return;
    }
    if (this.gone.has(from)) return;
    const p = this.peerFor(from);
    this.queue(p, () => this.handleSignal(p, sig));
  }

  async accept() {
    const call = this.ringing;
    if (!call) return;
    this.closeDialog();
    try {
      await this.openMedia(call.media);
    } catch (err) {
      this.toast(`Couldn't use the ${call.media === 'video' ? 'camera' : 'microphone'}: ${err.message || err}`);
      this.client().rejectCall({ callID: call.callID }).catch(() => {});
      return;
    }
    // Set before the answer goes out: the others' offers may follow at once.
    this.call = call;
    const group = isGroupCall(call);
    this.showView(group, 'Group call', group ? null : call.inviterUserID, call.media, 'Connecting…');
    this.view.dataset.callId = call.callID;
    let answered;
    try {
      answered = await this.client().acceptCall({ callID: call.callID });
    } catch (err) {
      this.teardown();
      this.toast(`Couldn't answer: ${err.message || err}`);
      return;
    }
    if (!answered || !this.call || this.call.callID !== call.callID) return;
    if (FINAL.has(answered.state)) return; // its state push tears the view down
    this.call = { ...answered, answeredHere: true };
    this.meet();
  }

  async decline() {
    const call = this.ringing;
    this.closeDialog();
    if (!call) return;
    try {
      await this.client().rejectCall({ callID: call.callID });
    } catch (err) {
      this.toast(`Couldn't decline: ${err.message || err}`);
    }
  }

  async hangUp() {
    const call = this.call;
    if (!call) {
      this.teardown();
      return;
    }
    // Say bye first: once parleyd has us out of the call, it refuses our signals.
    await this.bye();
    try {
      await this.client().hangUpCall({ callID: call.callID });
    } catch (err) {
      // Already over (the other side ended it first): leave the view.
      this.teardown();
      if (err.code !== 'not_found') this.toast(`Couldn't hang up: ${err.message || err}`);
      return;
    }
    // A group call may go on without us: its state push does not end it here.
    if (this.call && this.call.callID === call.callID) {
      this.toast(this.group ? 'You left the call' : 'Call ended');
      this.teardown();
    }
  }

  /** leave ends the call when the user logs out. */
  leave() {
    if (this.call) {
      const callID = this.call.callID;
      this.bye().then(() => this.client().hangUpCall({ callID })).catch(() => {});
    }
    this.closeDialog();
    this.teardown();
  }

  bye() {
    return Promise.all([...this.peers.values()].map((p) => this.signal(p, { kind: 'bye' })));
  }

  async openMedia(media) {
    this.local = await navigator.mediaDevices.getUserMedia({ audio: true, video: media === 'video' });
    this.localVideo.srcObject = this.local;
    this.view.dataset.media = media;
  }

  /** meet offers a connection to each participant in the call this side should call. */
  meet() {
    const self = this.selfID();
    const call = this.call;
    for (const u of [call.inviterUserID, ...(call.acceptedUserIDs || [])]) {
      if (u === self || !(self < u) || this.gone.has(u) || this.peers.has(u)) continue;
      const p = this.peerFor(u);
      this.queue(p, async () => {
        await p.pc.setLocalDescription(await p.pc.createOffer());
        await this.signal(p, { kind: 'sdp', description: p.pc.localDescription.toJSON() });
      });
    }
  }

  config() {
    if (!this.iceServers) {
      this.iceServers = this.client()
        .getCallConfig()
        .then(
          (c) => c.iceServers || [],
          (err) => {
            console.warn('call config', err); // loopback and LANs need none
            return [];
          },
        );
    }
    return this.iceServers;
  }

  /** peerFor is the connection to userID, with its tile, made on first use. */
  peerFor(userID) {
    let p = this.peers.get(userID);
    if (p) return p;
    const video = el('video', { className: 'remote-video', dataset: { testid: 'remote-video', userId: userID }, autoplay: true, playsInline: true });
    const tile = el(
      'div',
      { className: 'remote-tile', dataset: { testid: 'remote-tile', userId: userID, state: 'connecting' } },
      video,
      el('span', { className: 'remote-name', dataset: { testid: 'remote-name' }, text: this.nameOf(userID) }),
    );
    this.ensureNames([userID]);
    this.tiles.append(tile);
    p = { userID, pc: null, tile, video, candidates: [], remoteSet: false, closed: false };
    p.ready = this.config().then((iceServers) => {
      if (!p.closed) p.pc = this.openPeer(p, iceServers);
    });
    this.peers.set(userID, p);
    this.layout();
    return p;
  }

  /** queue runs fn after the peer's earlier steps, in order, while it is open. */
  queue(p, fn) {
    p.ready = p.ready.then(() => (p.closed ? undefined : fn())).catch((err) => console.warn('call peer', p.userID, err));
  }

  openPeer(p, iceServers) {
    const pc = new RTCPeerConnection({ iceServers });
    for (const t of this.local.getTracks()) pc.addTrack(t, this.local);
    pc.ontrack = (e) => {
      if (p.video.srcObject !== e.streams[0]) p.video.srcObject = e.streams[0];
    };
    pc.onicecandidate = (e) => {
      if (e.candidate) this.signal(p, { kind: 'ice', candidate: e.candidate.toJSON() });
    };
    pc.onconnectionstatechange = () => {
      if (p.closed) return;
      p.tile.dataset.state = pc.connectionState;
      if (pc.connectionState === 'connected') this.connected();
      // One of several gone without a bye (its connection died): drop its tile.
      if (pc.connectionState === 'failed') {
        if (this.peers.size > 1) this.drop(p.userID);
        else this.setStatus('Connection failed');
      }
    };
    return pc;
  }

  async handleSignal(p, sig) {
    const pc = p.pc;
    if (sig.kind === 'sdp') {
      await pc.setRemoteDescription(sig.description);
      p.remoteSet = true;
      for (const c of p.candidates.splice(0)) await pc.addIceCandidate(c);
      if (sig.description.type === 'offer') {
        await pc.setLocalDescription(await pc.createAnswer());
        await this.signal(p, { kind: 'sdp', description: pc.localDescription.toJSON() });
      }
    } else if (sig.kind === 'ice') {
      if (p.remoteSet) await pc.addIceCandidate(sig.candidate);
      else p.candidates.push(sig.candidate);
    }
  }

  signal(p, signal) {
    const call = this.call;
    if (!call) return Promise.resolve();
    return this.client()
      .sendCallSignal({ callID: call.callID, toUserID: p.userID, signal })
      .catch((err) => {
        // They are not in the call (any more): no connection to make.
        if (err.code === 'permission_denied' && signal.kind !== 'bye') this.drop(p.userID);
        else console.warn('sendCallSignal', err);
      });
  }

  /** drop closes the connection to a participant who left, and its tile. */
  drop(userID) {
    this.gone.add(userID);
    const p = this.peers.get(userID);
    if (!p) return;
    p.closed = true;
    if (p.pc) p.pc.close();
    p.video.srcObject = null;
    p.tile.remove();
    this.peers.delete(userID);
    this.layout();
  }

  layout() {
    this.view.dataset.peers = String(this.peers.size);
  }

  connected() {
    if (this.view.dataset.state === 'connected') return;
    const since = (this.call && this.call.acceptTime) || Date.now();
    this.view.dataset.state = 'connected';
    const tick = () => this.setStatus(durationText(Date.now() - since));
    tick();
    clearInterval(this.timer);
    this.timer = setInterval(tick, 1000);
  }

  toggle(kind, button, onLabel, offLabel) {
    if (!this.local) return;
    const tracks = kind === 'audio' ? this.local.getAudioTracks() : this.local.getVideoTracks();
    if (!tracks.length) return;
    const enabled = !tracks[0].enabled;
    for (const t of tracks) t.enabled = enabled;
    button.setAttribute('aria-pressed', String(!enabled));
    button.textContent = enabled ? onLabel : offLabel;
  }

  /** showView opens the call view: titled by the group, or by the one peer. */
  showView(group, title, peerUserID, media, status) {
    this.group = group;
    this.peerUserID = peerUserID;
    if (peerUserID) {
      this.ensureNames([peerUserID]);
      title = this.nameOf(peerUserID);
    }
    this.peerName.textContent = title;
    this.view.dataset.media = media;
    this.view.dataset.state = 'connecting';
    this.view.dataset.group = String(group);
    this.cameraButton.hidden = media !== 'video';
    this.muteButton.setAttribute('aria-pressed', 'false');
    this.muteButton.textContent = 'Mute';
    this.cameraButton.setAttribute('aria-pressed', 'false');
    this.cameraButton.textContent = 'Camera off';
    this.setStatus(status);
    this.layout();
    this.view.hidden = false;
  }

  setStatus(text) {
    this.status.textContent = text;
  }

  closeDialog() {
    this.ringing = null;
    delete this.dialog.dataset.callId;
    if (this.dialog.open) this.dialog.close();
  }

  teardown() {
    clearInterval(this.timer);
    for (const u of [...this.peers.keys()]) this.drop(u);
    if (this.local) for (const t of this.local.getTracks()) t.stop();
    this.local = null;
    this.peerUserID = '';
    this.call = null;
    this.gone.clear();
    this.iceServers = null;
    this.localVideo.srcObject = null;
    this.view.hidden = true;
    delete this.view.dataset.callId;
    this.view.dataset.state = 'idle';
  }
}

/** isGroupCall: a call in a group conversation (its ID starts with sg_). */
function isGroupCall(call) {
  return call.conversationID.startsWith('sg_') || (call.inviteeUserIDs || []).length > 1;
}
