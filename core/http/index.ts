// core/http: the one HTTP(S) listener every Rill HTTP endpoint serves on
// (schema registry, interactive queries, console, metrics): optional TLS and
// optional basic auth against a user check the caller gives.
export { startHttpListener, jsonRefusal } from './http-listener';
export type { HttpSecurity, HttpListener, HttpListenerOptions, HttpHandler, Caller, PasswordCheck, Refusal } from './http-listener';
