// The connection banner, driven by the SDK's connectionStateChanged event.
import { $ } from '../dom.js';

const TEXT = {
  connecting: 'Connecting…',
  reconnecting: 'Connection lost. Reconnecting…',
  offline: 'You are offline. Showing saved messages; what you send goes out when the connection returns.',
};

/**
 * renderBanner shows what the connection is doing. kind is 'connected',
 * 'connecting', 'reconnecting' or 'offline'; 'connected' hides the banner.
 */
export function renderBanner(kind) {
  const banner = $('banner');
  banner.dataset.state = kind;
  banner.hidden = kind === 'connected' || !TEXT[kind];
  banner.textContent = TEXT[kind] || '';
}

/** hideBanner hides the banner while nobody is logged in. */
export function hideBanner() {
  const banner = $('banner');
  banner.hidden = true;
  banner.dataset.state = '';
  banner.textContent = '';
}
