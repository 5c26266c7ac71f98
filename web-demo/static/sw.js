// Service worker: lets the demo load again without the server, so a reload
// while offline opens the app and the SDK reads the user's data from IndexedDB.
//
// Network first, cache as the fallback: with the server up the page is always
// current; the cache only answers when the network fails. API calls, the
// WebSocket and server endpoints are never cached.

const CACHE = 'parley-demo-v1';

// The app shell, relative to this file (the demo is served at /).
const SHELL = [
  './',
  'index.html',
  'style.css',
  'app.js',
  'api.js',
  'dom.js',
  'format.js',
  'session.js',
  'users.js',
  'sending.js',
  'rich.js',
  'views/content.js',
  'views/actions.js',
  'views/auth.js',
  'views/banner.js',
  'views/chat.js',
  'views/conversations.js',
  'views/dialogs.js',
  'views/icons.js',
  'views/members.js',
  'views/call.js',
  'views/search.js',
  // The SDK's usual files; whatever else it loads is cached when first fetched.
  '/sdk/index.js',
  '/sdk/surface.gen.js',
  '/sdk/runtime.js',
  '/sdk/host.js',
  '/sdk/worker.js',
  '/sdk/wasm_exec.js',
  '/sdk/parley.wasm',
];

// Only files are cached: the page, its modules and the SDK's files. Never the
// API, the WebSocket or a stream, whose answers must come from the server.
const FILE = /\.(html|js|mjs|css|wasm|json|svg|png|ico|webmanifest)$/;
const NEVER = /^\/(api|ws|healthz|metrics)(\/|$)/;

function cacheable(url) {
  return url.origin === self.location.origin && !NEVER.test(url.pathname) && (url.pathname === '/' || FILE.test(url.pathname));
}

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      // One by one: a file that is missing must not stop the others.
      await Promise.all(SHELL.map((url) => cache.add(url).catch(() => undefined)));
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const key of await caches.keys()) if (key !== CACHE) await caches.delete(key);
      await self.clients.claim();
    })(),
  );
});

self.addEventListener('fetch', (event) => {
  const req = event.request;
  const url = new URL(req.url);
  if (req.method !== 'GET' || !cacheable(url)) return;
  event.respondWith(networkFirst(event, req));
});

async function networkFirst(event, req) {
  const cache = await caches.open(CACHE);
  try {
    const res = await fetch(req);
    // Store in the background, so a large file (the wasm) is not held up.
    if (res.status === 200) event.waitUntil(cache.put(req, res.clone()).catch(() => undefined));
    return res;
  } catch (err) {
    const hit = (await cache.match(req, { ignoreSearch: true })) || (req.mode === 'navigate' ? await cache.match('./') : undefined);
    if (hit) return hit;
    throw err;
  }
}
