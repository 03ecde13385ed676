// A client-only app: the reconciler serves the static build and the pages fetch from /api.
export const ssr = false;
export const prerender = false;
export const trailingSlash = 'never';
