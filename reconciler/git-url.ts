// A password written into a git URL (https://user:token@host/...) would be stored with every revision
// and served by the API, so sdp refuses such URLs wherever it accepts one.
export function hasPasswordInUrl(url: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\/[^/@]*:[^/@]*@/i.test(url);
}
