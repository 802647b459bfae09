/* 善治 service worker: the field pages open without a signal.
 * Kept ahead (precache): the shell's styles and scripts, the icons and the offline page.
 * Field pages (待办, 上报, 巡查, 消息, the cases one has opened): the network first, within a few
 * seconds, else the copy kept from the last visit, else the offline page. Static files: from the
 * cache, refreshed behind. Writes are never handled here: the page keeps them in its own queue
 * (IndexedDB) and sends them itself, in order, with their keys. */
importScripts('{{ workbox|escapejs }}');
workbox.setConfig({debug: false, modulePathPrefix: '{{ workbox_prefix|escapejs }}'});
const {precacheAndRoute, cleanupOutdatedCaches, matchPrecache} = workbox.precaching;
const {registerRoute, setCatchHandler} = workbox.routing;
const {NetworkFirst, StaleWhileRevalidate} = workbox.strategies;
const {ExpirationPlugin} = workbox.expiration;
const {CacheableResponsePlugin} = workbox.cacheableResponse;

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', e => e.waitUntil(self.clients.claim()));

cleanupOutdatedCaches();
precacheAndRoute({{ precache|safe }});

const PAGES = 'shanzhi-pages';
const FIELD = [/^\/$/, /^\/work\/$/, /^\/incidents\/new\/$/, /^\/incidents\/patrols\/(\d+\/)?$/,
  /^\/incidents\/\d+\/$/, /^\/messages\/$/, /^\/field\/queue\/$/, /^\/team\/cases\/\d+\/$/];

/* Only a page the server marks as a field role's (X-Shanzhi-Keep) is kept: a desk user's or a
 * resident's pages never are. */
const keepOnly = {cacheWillUpdate: async ({response}) =>
  (response && response.status === 200 && response.headers.get('X-Shanzhi-Keep')) ? response : null};
const fieldPage = url => url.origin === self.location.origin && FIELD.some(re => re.test(url.pathname));

registerRoute(
  ({request, url}) => request.mode === 'navigate' && fieldPage(url),
  new NetworkFirst({
    // Django varies its pages on the cookie and the language: a kept page is one person's anyway
    // (dropped at every sign-in and sign-out), so it is matched by its address alone.
    cacheName: PAGES, networkTimeoutSeconds: 6, matchOptions: {ignoreVary: true},
    plugins: [keepOnly, new ExpirationPlugin({maxEntries: 80, maxAgeSeconds: 7 * 24 * 3600})],
  }));

registerRoute(
  ({url}) => url.origin === self.location.origin && url.pathname.startsWith('/static/'),
  new StaleWhileRevalidate({cacheName: 'shanzhi-static',
    plugins: [new CacheableResponsePlugin({statuses: [200]}), new ExpirationPlugin({maxEntries: 120})]}));

/* A field page never visited with a signal: the offline page, which says what still works. */
setCatchHandler(async ({request}) => {
  if (request.mode === 'navigate') return (await matchPrecache('/field/offline/')) || Response.error();
  return Response.error();
});

/* Signing out, or someone else signing in on this phone: the kept pages (they show one
 * person's work) are dropped. The queue is the page's and stays, tied to its owner. */
self.addEventListener('message', e => {
  if (!e.data) return;
  if (e.data.type === 'forget-pages') e.waitUntil(caches.delete(PAGES));
  /* The field pages of the person signed in, fetched ahead so that they open without a signal
   * even if they were never visited with one. */
  if (e.data.type === 'warm' && Array.isArray(e.data.urls)) {
    e.waitUntil((async () => {
      const cache = await caches.open(PAGES);
      for (const path of e.data.urls) {
        const url = new URL(path, self.location.origin);
        if (!fieldPage(url)) continue;
        try {
          const response = await fetch(url, {credentials: 'same-origin', redirect: 'manual'});
          if (await keepOnly.cacheWillUpdate({response})) await cache.put(url, response);
        } catch (err) { /* no signal: nothing to keep now */ }
      }
    })());
  }
});
