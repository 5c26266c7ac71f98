// Calls: the incoming-call dialog and the call view. The media goes between
// the two browsers over RTCPeerConnection; the SDK only carries the
// signaling (startCall, acceptCall, sendCallSignal, the call events).
import { $, byTestID } from '../dom.js';

const FINAL = new Set(['ended', 'rejected', 'canceled', 'missed']);

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
    this.pc = null;
    this.local = null; // the local MediaStream
    this.pending = []; // signals that came before the peer connection was ready
    this.remoteSet = false;
    this.candidates = []; // ICE candidates that came before the remote description
    this.timer = 0;

    this.dialog = $('incoming-call-dialog');
    this.view = $('call-view');
    this.remoteVideo = $('remote-video');
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

  /** start places a call in a one-to-one conversation. */
  async start(conv, media) {
    if (this.call) {
      this.toast('You are already in a call.');
      return;
    }
    const peer = conv.userID;
    try {
      await this.openMedia(media);
    } catch (err) {
      this.toast(`Couldn't use the ${media === 'video' ? 'camera' : 'microphone'}: ${err.message || err}`);
      return;
    }
    this.showView(peer, media, 'Calling…');
    try {
      this.call = await this.client().startCall({ conversationID: conv.conversationID, media });
      this.view.dataset.callId = this.call.callID;
    } catch (err) {
      this.teardown();
      this.toast(`Couldn't call: ${err.message || err}`);
    }
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
      byTestID(this.dialog, 'incoming-title').textContent = this.ringing.media === 'video' ? `${who} is video calling` : `${who} is calling`;
    }
    if (this.call && this.peerUserID) this.peerName.textContent = this.nameOf(this.peerUserID);
  }

  onStateChanged(call) {
    if (this.ringing && this.ringing.callID === call.callID && call.state !== 'ringing') {
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
      this.setStatus('Connecting…');
      // The inviter makes the offer once the invitee's device answered.
      if (call.inviterUserID === this.selfID() && !this.pc) this.connect(call.inviteeUserIDs[0], true);
    }
  }

  onSignal(s) {
    if (!this.call || s.callID !== this.call.callID) return;
    if (!this.pc) {
      this.pending.push(s);
      return;
    }
    this.handleSignal(s.signal).catch((err) => console.warn('call signal', err));
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
    this.call = call;
    this.showView(call.inviterUserID, call.media, 'Connecting…');
    this.view.dataset.callId = call.callID;
    // Ready before the answer goes out: the offer may follow at once.
    await this.connect(call.inviterUserID, false);
    try {
      await this.client().acceptCall({ callID: call.callID });
    } catch (err) {
      this.teardown();
      this.toast(`Couldn't answer: ${err.message || err}`);
    }
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
    try {
      await this.client().hangUpCall({ callID: call.callID });
    } catch (err) {
      // Already over (the other side ended it first): leave the view.
      this.teardown();
      if (err.code !== 'not_found') this.toast(`Couldn't hang up: ${err.message || err}`);
    }
  }

  /** leave ends the call when the user logs out. */
  leave() {
    if (this.call) this.client().hangUpCall({ callID: this.call.callID }).catch(() => {});
    this.closeDialog();
    this.teardown();
  }

  async openMedia(media) {
    this.local = await navigator.mediaDevices.getUserMedia({ audio: true, video: media === 'video' });
    this.localVideo.srcObject = this.local;
    this.view.dataset.media = media;
  }

  async connect(peerUserID, offer) {
    let iceServers = [];
    try {
      ({ iceServers } = await this.client().getCallConfig());
    } catch (err) {
      console.warn('call config', err); // loopback and LANs need none
    }
    const pc = new RTCPeerConnection({ iceServers });
    this.pc = pc;
    this.peer = peerUserID;
    for (const t of this.local.getTracks()) pc.addTrack(t, this.local);
    pc.ontrack = (e) => {
      if (this.remoteVideo.srcObject !== e.streams[0]) this.remoteVideo.srcObject = e.streams[0];
    };
    pc.onicecandidate = (e) => {
      if (e.candidate) this.signal({ kind: 'ice', candidate: e.candidate.toJSON() });
    };
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === 'connected') this.connected();
      if (pc.connectionState === 'failed') this.setStatus('Connection failed');
    };
    if (offer) {
      await pc.setLocalDescription(await pc.createOffer());
      this.signal({ kind: 'sdp', description: pc.localDescription.toJSON() });
    }
    for (const s of this.pending.splice(0)) await this.handleSignal(s.signal);
  }

  async handleSignal(sig) {
    const pc = this.pc;
    if (!pc || !sig) return;
    if (sig.kind === 'sdp') {
      await pc.setRemoteDescription(sig.description);
      this.remoteSet = true;
      for (const c of this.candidates.splice(0)) await pc.addIceCandidate(c);
      if (sig.description.type === 'offer') {
        await pc.setLocalDescription(await pc.createAnswer());
        this.signal({ kind: 'sdp', description: pc.localDescription.toJSON() });
      }
    } else if (sig.kind === 'ice') {
      if (this.remoteSet) await pc.addIceCandidate(sig.candidate);
      else this.candidates.push(sig.candidate);
    }
  }

  signal(signal) {
    const call = this.call;
    if (!call || !this.peer) return;
    this.client()
      .sendCallSignal({ callID: call.callID, toUserID: this.peer, signal })
      .catch((err) => console.warn('sendCallSignal', err));
  }

  connected() {
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

  showView(peerUserID, media, status) {
    this.peerUserID = peerUserID;
    this.ensureNames([peerUserID]);
    this.peerName.textContent = this.nameOf(peerUserID);
    this.view.dataset.media = media;
    this.view.dataset.state = 'connecting';
    this.cameraButton.hidden = media !== 'video';
    this.muteButton.setAttribute('aria-pressed', 'false');
    this.muteButton.textContent = 'Mute';
    this.cameraButton.setAttribute('aria-pressed', 'false');
    this.cameraButton.textContent = 'Camera off';
    this.setStatus(status);
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
    if (this.pc) this.pc.close();
    if (this.local) for (const t of this.local.getTracks()) t.stop();
    this.pc = null;
    this.local = null;
    this.peer = '';
    this.call = null;
    this.pending = [];
    this.candidates = [];
    this.remoteSet = false;
    this.remoteVideo.srcObject = null;
    this.localVideo.srcObject = null;
    this.view.hidden = true;
    delete this.view.dataset.callId;
    this.view.dataset.state = 'idle';
  }
}
